package proxyhost

// Property is an Envoy attribute path such as source.principal, serialized once for the host. Its Read is
// bound per build (host_native.go, host_wasm.go).
type Property struct {
	segments   []string
	serialized []byte
}

// NewProperty returns the attribute path made of segments (at least one).
func NewProperty(segments ...string) Property {
	p := Property{segments: segments}
	for _, s := range segments {
		p.serialized = append(append(p.serialized, s...), 0)
	}
	return p
}
