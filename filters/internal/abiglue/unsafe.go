//go:build laneway_glue

package internal

import "unsafe"

func uintptrOf(b *byte) uintptr { return uintptr(unsafe.Pointer(b)) }
