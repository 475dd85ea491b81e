package testenv

import (
	"encoding/binary"
	"math"
	"strconv"
	"strings"
)

// StringValue encodes a string attribute (raw bytes).
func StringValue(s string) []byte { return []byte(s) }

// IntValue encodes an int, timestamp (Unix ns) or duration (ns) attribute: 8 bytes LE.
func IntValue(v int64) []byte { return binary.LittleEndian.AppendUint64(nil, uint64(v)) }

// UintValue encodes a uint attribute: 8 bytes LE.
func UintValue(v uint64) []byte { return binary.LittleEndian.AppendUint64(nil, v) }

// DoubleValue encodes a double attribute: 8 bytes LE IEEE 754.
func DoubleValue(v float64) []byte { return UintValue(math.Float64bits(v)) }

// BoolValue encodes a bool attribute: 1 byte.
func BoolValue(v bool) []byte {
	if v {
		return []byte{1}
	}
	return []byte{0}
}

// MapValue encodes a map attribute in the pairs format.
func MapValue(h Headers) []byte { return EncodePairs(h) }

// property resolves a NUL-separated attribute path for the effective context.
func (vm *VM) property(path string) ([]byte, bool) {
	c := vm.effective
	if c != nil && c.http != nil {
		if v, ok := c.http.property(path); ok {
			return v, true
		}
	}
	if (c == nil || c.http == nil && c.tcp == nil) && streamOnly(path) {
		return nil, false
	}
	if v, ok := vm.props[path]; ok {
		return v, true
	}
	// a map-valued host property can be indexed by key
	if i := strings.LastIndexByte(path, 0); i > 0 {
		if m, ok := vm.props[path[:i]]; ok {
			if h, ok := DecodePairs(m); ok {
				if v, ok := h.Get(path[i+1:]); ok {
					return []byte(v), true
				}
			}
		}
	}
	switch path {
	case "plugin_name":
		return []byte(vm.opts.PluginName), true
	case "plugin_root_id":
		return []byte(vm.opts.RootID), true
	case "plugin_vm_id":
		return []byte(vm.opts.VMID), true
	}
	if c != nil && c.filterState != nil {
		if v, ok := c.filterState[path]; ok {
			return v, true
		}
	}
	return nil, false
}

// property resolves request.* and response.* from the stream.
func (s *HTTPStream) property(path string) ([]byte, bool) {
	if v, ok := s.props[path]; ok {
		return v, true
	}
	top, rest, _ := strings.Cut(path, "\x00")
	switch top {
	case "request":
		if !s.req.haveHeaders {
			return nil, false
		}
		h := s.req.headers
		str := func(k string) ([]byte, bool) {
			v, ok := h.Get(k)
			return []byte(v), ok
		}
		switch rest {
		case "path":
			return str(":path")
		case "url_path":
			p, _ := h.Get(":path")
			p, _, _ = strings.Cut(p, "?")
			return []byte(p), true
		case "query":
			p, _ := h.Get(":path")
			_, q, _ := strings.Cut(p, "?")
			return []byte(q), true
		case "host":
			return str(":authority")
		case "scheme":
			return str(":scheme")
		case "method":
			return str(":method")
		case "referer":
			return str("referer")
		case "useragent":
			return str("user-agent")
		case "id":
			return str("x-request-id")
		case "protocol":
			return []byte("HTTP/1.1"), true
		case "headers":
			return MapValue(joinRepeated(h)), true
		case "size":
			return IntValue(int64(len(s.req.forwarded) + len(s.req.buffered))), true
		}
		if k, ok := strings.CutPrefix(rest, "headers\x00"); ok {
			vals := h.Values(k)
			if len(vals) == 0 {
				return nil, false
			}
			return []byte(strings.Join(vals, ",")), true
		}
	case "response":
		if !s.resp.haveHeaders {
			return nil, false
		}
		h := s.resp.headers
		switch rest {
		case "code":
			v, _ := h.Get(":status")
			n, err := strconv.Atoi(v)
			if err != nil {
				return nil, false
			}
			return IntValue(int64(n)), true
		case "headers":
			return MapValue(joinRepeated(h)), true
		case "trailers":
			return MapValue(joinRepeated(s.resp.trailers)), true
		}
		if k, ok := strings.CutPrefix(rest, "headers\x00"); ok {
			vals := h.Values(k)
			if len(vals) == 0 {
				return nil, false
			}
			return []byte(strings.Join(vals, ",")), true
		}
	}
	return nil, false
}

// joinRepeated comma-joins repeated headers, as Envoy's header map attribute does.
func joinRepeated(h Headers) Headers {
	out := make(Headers, 0, len(h))
	idx := map[string]int{}
	for _, kv := range h {
		if i, ok := idx[kv.Key]; ok {
			out[i].Value += "," + kv.Value
			continue
		}
		idx[kv.Key] = len(out)
		out = append(out, kv)
	}
	return out
}

// streamOnly reports whether Envoy answers the attribute at path only in a stream's context: every xds.*
// attribute but xds.node comes from the stream's info (the listener, route, cluster and host it went
// through), which the root context does not have (Envoy's XDSWrapper answers nothing without it). A
// filter that takes its job from xds.listener_direction therefore cannot learn it in on_configure or
// on_tick, only once a stream calls it.
func streamOnly(path string) bool {
	rest, ok := strings.CutPrefix(path, "xds\x00")
	return ok && rest != "node" && !strings.HasPrefix(rest, "node\x00")
}
