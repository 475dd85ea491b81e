package hostprop

// Path is an attribute path such as source.principal, serialized once for the host.
type Path struct {
	segments   []string
	serialized []byte
}

// New returns the path made of segments (at least one).
func New(segments ...string) Path {
	p := Path{segments: segments}
	for _, s := range segments {
		p.serialized = append(append(p.serialized, s...), 0)
	}
	return p
}
