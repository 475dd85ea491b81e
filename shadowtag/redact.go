package shadowtag

import (
	"strconv"
	"strings"
	"unsafe"

	"github.com/laneway/laneway/filters/pluginconfig"
	"github.com/laneway/laneway/filters/proxyhost"
	"github.com/tidwall/gjson"
)

// Redaction limits.
const (
	MaxRedactHeaders = 32
	MaxRedactFields  = 32
	DefaultMask      = "redacted"
	// MaxRedactBody is the largest shadow request body the filter holds to rewrite; a larger shadow copy is
	// answered locally with 413 (fail closed: forwarding it unmasked would leak what redaction hides).
	MaxRedactBody = 1 << 20
)

// RefusedBodyReply answers a shadow copy whose body is too large to redact (MaxRedactBody): forwarding it
// would leak the fields.
var RefusedBodyReply = proxyhost.Reply{
	Status:  413,
	Headers: [][2]string{{"content-type", "application/json"}, {MarkerHeader, "redaction-refused"}},
	Body:    []byte(`{"laneway":"shadow-redaction-refused","detail":"the shadow copy's body exceeds the size shadowtag redacts"}`),
}

// Redact is the inbound data hygiene for shadow copies: request headers removed and JSON body fields masked
// before the mirror target (candidate, secondary) sees them. Live requests are never touched.
type Redact struct {
	Headers    []string // request headers removed from shadow copies, lower case
	JSONFields []string // gjson paths whose values are replaced by Mask in a shadow copy's JSON body
	Mask       string   // replacement value (a JSON string)

	maskJSON []byte // Mask as a quoted JSON string
}

func (r *Redact) active() bool { return len(r.Headers) > 0 || len(r.JSONFields) > 0 }

const jsonPathRule = `a gjson path to a JSON field, e.g. "user.email" or "items.#.card" (no '@' modifiers, no '|' pipes, at most 256 characters)`

var redactFields = []string{"headers", "jsonFields", "mask"}

func (c *Config) readRedact(p string, v gjson.Result) error {
	r := Redact{Mask: DefaultMask}
	err := pluginconfig.Object(filter, p, v, redactFields, func(p, name string, v gjson.Result) (err error) {
		switch name {
		case "headers":
			r.Headers, err = pluginconfig.StringList(filter, p, v, MaxRedactHeaders, "a request header name to remove from shadow copies",
				func(ip string, it gjson.Result) (string, error) {
					return pluginconfig.HeaderName(filter, ip, it, markerNames...)
				})
		case "jsonFields":
			if !captureBuilt {
				return fieldErr(p, v, plainNoJSONFields)
			}
			r.JSONFields, err = pluginconfig.StringList(filter, p, v, MaxRedactFields, jsonPathRule, readJSONPath)
		default:
			r.Mask, err = pluginconfig.HeaderValue(filter, p, v, 0, 64)
			if err == nil && strings.ContainsAny(r.Mask, `"\`) {
				return fieldErr(p, v, `a mask without '"' or '\'`)
			}
		}
		return err
	})
	if err != nil {
		return err
	}
	r.maskJSON = strconv.AppendQuote(nil, r.Mask)
	c.Redact = r
	return nil
}

// readJSONPath reads one inbound.redact.jsonFields entry.
func readJSONPath(p string, v gjson.Result) (string, error) {
	if v.Type != gjson.String || v.Str == "" || len(v.Str) > 256 || strings.ContainsAny(v.Str, "@|") ||
		strings.HasPrefix(v.Str, ".") || strings.HasSuffix(v.Str, ".") {
		return "", fieldErr(p, v, jsonPathRule)
	}
	return v.Str, nil
}

// redact adds the redaction of a shadow copy to d: each configured header present removed and, when JSON fields
// are configured and a body follows, content-length removed (the body is rewritten after the headers went on,
// so its length is not known yet) and the body marked to be masked once complete.
func (c *Config) redact(d *Decision, headers [][2]string, endOfStream bool) {
	if !c.Redact.active() {
		return
	}
	for _, name := range c.Redact.Headers {
		for _, p := range headers {
			if p[0] == name {
				d.remove(name)
				d.Redacted = true
				break
			}
		}
	}
	if len(c.Redact.JSONFields) == 0 || endOfStream {
		return
	}
	d.RedactBody = true
	for _, p := range headers {
		if p[0] == "content-length" {
			d.remove("content-length")
			return
		}
	}
}

// span is one JSON value to replace: [start, end) of the body.
type span struct{ start, end int }

// MaskJSON returns body with the values at the configured paths replaced by the mask, appended to out, and how
// many values were masked. A body that is not valid JSON is returned as masked=-1 (the caller decides).
func (r *Redact) MaskJSON(out, body []byte) ([]byte, int) {
	if !gjson.ValidBytes(body) {
		return out, -1
	}
	var buf [16]span
	spans := buf[:0]
	add := func(idx int, raw string) {
		if idx > 0 && idx+len(raw) <= len(body) && string(body[idx:idx+len(raw)]) == raw {
			spans = append(spans, span{idx, idx + len(raw)})
		}
	}
	// gjson.GetBytes copies each result's text; a string view of body does not (the results are used here only).
	doc := unsafe.String(unsafe.SliceData(body), len(body))
	for _, path := range r.JSONFields {
		res := gjson.Get(doc, path)
		if !res.Exists() {
			continue
		}
		if len(res.Indexes) > 0 { // a '#' query: each element's position in the body
			i := 0
			res.ForEach(func(_, el gjson.Result) bool {
				if i < len(res.Indexes) {
					add(res.Indexes[i], el.Raw)
				}
				i++
				return true
			})
			continue
		}
		add(res.Index, res.Raw)
	}
	if len(spans) == 0 {
		return append(out, body...), 0
	}
	for i := 1; i < len(spans); i++ { // insertion sort: a handful of spans (slices.SortFunc costs ~20 kB of module)
		for j := i; j > 0 && spans[j].start < spans[j-1].start; j-- {
			spans[j], spans[j-1] = spans[j-1], spans[j]
		}
	}
	n, last := 0, 0
	for _, s := range spans {
		if s.start < last {
			continue // inside a value already masked (a path and one of its parents)
		}
		out = append(out, body[last:s.start]...)
		out = append(out, r.maskJSON...)
		last = s.end
		n++
	}
	return append(out, body[last:]...), n
}
