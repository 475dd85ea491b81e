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

// String joins the segments with dots, as Envoy's attribute names are written.
func (p Path) String() string {
	out := ""
	for i, s := range p.segments {
		if i > 0 {
			out += "."
		}
		out += s
	}
	return out
}
