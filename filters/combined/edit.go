package combined

import (
	"strings"

	"github.com/laneway/laneway/filters/proxyhost"
)

// appendEdited appends to dst the pairs of headers with edits applied as Envoy applies them: Remove deletes
// every value of a name, Replace sets the first value and drops the others (or appends the header), Add
// appends. dst must not share storage with headers.
//
// TODO(skeleton): proxyhost.AppendEdited replaces this once the shared plumbing lands.
func appendEdited(dst, headers [][2]string, edits []proxyhost.Edit) [][2]string {
	out := append(dst, headers...)
	for _, e := range edits {
		switch e.Kind {
		case proxyhost.Remove:
			kept := out[len(dst):len(dst)]
			for _, h := range out[len(dst):] {
				if !strings.EqualFold(h[0], e.Name) {
					kept = append(kept, h)
				}
			}
			out = out[:len(dst)+len(kept)]
		case proxyhost.Replace:
			kept, done := out[len(dst):len(dst)], false
			for _, h := range out[len(dst):] {
				if strings.EqualFold(h[0], e.Name) {
					if done {
						continue
					}
					h[1], done = e.Value, true
				}
				kept = append(kept, h)
			}
			out = out[:len(dst)+len(kept)]
			if !done {
				out = append(out, [2]string{e.Name, e.Value})
			}
		case proxyhost.Add:
			out = append(out, [2]string{e.Name, e.Value})
		}
	}
	return out
}
