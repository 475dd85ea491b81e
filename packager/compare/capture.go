package compare

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Role is which copy of a request a capture comes from.
type Role uint8

// The three roles of a comparison.
const (
	Primary Role = iota
	Secondary
	Candidate
	numRoles
)

var roleNames = [numRoles]string{"primary", "secondary", "candidate"}

// String returns the role's wire name.
func (r Role) String() string {
	if r < numRoles {
		return roleNames[r]
	}
	return fmt.Sprintf("role(%d)", uint8(r))
}

// ParseRole returns the role named s (primary, secondary or candidate).
func ParseRole(s string) (Role, bool) {
	for i, n := range roleNames {
		if s == n {
			return Role(i), true
		}
	}
	return 0, false
}

// Capture is one response as shadowtag recorded it.
type Capture struct {
	ID      string
	Role    Role
	Service string
	Method  string
	// Path is :path as received, query included.
	Path   string
	Status int
	// Headers are the configured response headers, lower-case names.
	Headers map[string]string
	// Body is the first bytes of the response body (up to the capture's body limit).
	Body []byte
	// BodyBytes is the total body size seen; Truncated says Body holds less than that.
	BodyBytes int64
	Truncated bool
	// TS is the capturing proxy's clock, unix milliseconds, when the stream ended.
	TS int64
}

// wireCapture is a capture as it travels; pointers tell absent from zero.
type wireCapture struct {
	ID        *string           `json:"id"`
	Role      *string           `json:"role"`
	Service   *string           `json:"service"`
	Method    *string           `json:"method"`
	Path      *string           `json:"path"`
	Status    *int              `json:"status"`
	Headers   map[string]string `json:"headers"`
	Body      *string           `json:"body"`
	BodyBytes *int64            `json:"bodyBytes"`
	Truncated *bool             `json:"truncated"`
	TS        *int64            `json:"ts"`
}

// CaptureError names the first bad capture of a batch: its index, the field and what was wrong.
type CaptureError struct {
	Index int
	Field string
	Msg   string
	// Err is the underlying read or JSON error, if any.
	Err error
}

// Unwrap returns the underlying error.
func (e *CaptureError) Unwrap() error { return e.Err }

func (e *CaptureError) Error() string {
	if e.Index < 0 {
		return fmt.Sprintf("batch: field %q: %s", e.Field, e.Msg)
	}
	return fmt.Sprintf("capture %d: field %q: %s", e.Index, e.Field, e.Msg)
}

// Limits of one capture's fields.
const (
	maxIDLen      = 256
	maxServiceLen = 253
	maxPathLen    = 8192
	maxHeaders    = 64
)

// DecodeBatch reads a POST /v1/captures body ({"captures":[...]}) strictly: unknown fields,
// missing required fields (id, role, service, method, path, status) and inconsistent values are
// refused with a *CaptureError naming the first bad capture.
func DecodeBatch(r io.Reader) ([]Capture, error) {
	body, err := io.ReadAll(r)
	if err != nil {
		return nil, &CaptureError{Index: -1, Field: "captures", Msg: fmt.Sprintf("reading the batch: %v", err), Err: err}
	}
	// Fast path: one strict decode of the whole batch. Only when it fails, or a capture needs a
	// closer look, is the batch decoded capture by capture to name the first bad one.
	var fast struct {
		Captures *[]wireCapture `json:"captures"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if dec.Decode(&fast) == nil && fast.Captures != nil {
		if _, err := dec.Token(); err == io.EOF {
			out := make([]Capture, len(*fast.Captures))
			ok := true
			for i := range *fast.Captures {
				if fromWire(&(*fast.Captures)[i], &out[i]) != nil {
					ok = false
					break
				}
			}
			if ok {
				return out, nil
			}
		}
	}
	return decodeSlowly(body)
}

// decodeSlowly decodes capture by capture to name the first bad one.
func decodeSlowly(body []byte) ([]Capture, error) {
	var batch struct {
		Captures *[]json.RawMessage `json:"captures"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&batch); err != nil {
		return nil, &CaptureError{Index: -1, Field: jsonField(err, "captures"), Msg: jsonProblem(err, `a JSON object {"captures":[...]}`), Err: err}
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, &CaptureError{Index: -1, Field: "captures", Msg: "got data after the batch object, expected one JSON object"}
	}
	if batch.Captures == nil {
		return nil, &CaptureError{Index: -1, Field: "captures", Msg: `missing, expected {"captures":[...]}`}
	}
	out := make([]Capture, len(*batch.Captures))
	for i, raw := range *batch.Captures {
		if err := decodeCapture(raw, &out[i]); err != nil {
			var ce *CaptureError
			if errors.As(err, &ce) {
				ce.Index = i
			}
			return nil, err
		}
	}
	return out, nil
}

func decodeCapture(raw json.RawMessage, c *Capture) error {
	var w wireCapture
	if bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return &CaptureError{Field: "captures", Msg: "got null, expected a capture object"}
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&w); err != nil {
		return &CaptureError{Field: jsonField(err, ""), Msg: jsonProblem(err, "a capture object")}
	}
	return fromWire(&w, c)
}

// fromWire checks a decoded capture and converts it.
func fromWire(w *wireCapture, c *Capture) error {
	required := []struct {
		name string
		set  bool
	}{{"id", w.ID != nil}, {"role", w.Role != nil}, {"service", w.Service != nil}, {"method", w.Method != nil}, {"path", w.Path != nil}, {"status", w.Status != nil}}
	for _, f := range required {
		if !f.set {
			return &CaptureError{Field: f.name, Msg: "missing, expected it in every capture (required: id, role, service, method, path, status)"}
		}
	}
	switch {
	case *w.ID == "" || len(*w.ID) > maxIDLen || !printableASCII(*w.ID):
		return &CaptureError{Field: "id", Msg: fmt.Sprintf("got %s, expected the request's x-request-id (1-%d printable ASCII characters)", quoteCut(*w.ID), maxIDLen)}
	case *w.Service == "" || len(*w.Service) > maxServiceLen || !printableASCII(*w.Service):
		return &CaptureError{Field: "service", Msg: fmt.Sprintf("got %s, expected the service name (1-%d printable ASCII characters)", quoteCut(*w.Service), maxServiceLen)}
	case !isToken(*w.Method):
		return &CaptureError{Field: "method", Msg: fmt.Sprintf("got %s, expected an HTTP method such as GET", quoteCut(*w.Method))}
	case !strings.HasPrefix(*w.Path, "/") || len(*w.Path) > maxPathLen || !printableASCII(*w.Path):
		return &CaptureError{Field: "path", Msg: fmt.Sprintf("got %s, expected :path as received, starting with / (at most %d printable ASCII characters)", quoteCut(*w.Path), maxPathLen)}
	case *w.Status < 100 || *w.Status > 599:
		return &CaptureError{Field: "status", Msg: fmt.Sprintf("got %d, expected the response :status, 100-599", *w.Status)}
	}
	role, ok := ParseRole(*w.Role)
	if !ok {
		return &CaptureError{Field: "role", Msg: fmt.Sprintf("got %s, expected primary, secondary or candidate", quoteCut(*w.Role))}
	}
	if len(w.Headers) > maxHeaders {
		return &CaptureError{Field: "headers", Msg: fmt.Sprintf("got %d headers, expected at most %d (only the configured response headers)", len(w.Headers), maxHeaders)}
	}
	for k := range w.Headers {
		if !isToken(k) || strings.ToLower(k) != k {
			return &CaptureError{Field: "headers", Msg: fmt.Sprintf("got header name %s, expected a lower-case HTTP header name", quoteCut(k))}
		}
	}
	*c = Capture{ID: *w.ID, Role: role, Service: *w.Service, Method: *w.Method, Path: *w.Path, Status: *w.Status, Headers: w.Headers}
	if w.Body != nil {
		b, err := base64.StdEncoding.DecodeString(*w.Body)
		if err != nil {
			return &CaptureError{Field: "body", Msg: fmt.Sprintf("not standard base64 (%v), expected the body's first bytes in standard base64 with padding", err)}
		}
		c.Body = b
	}
	c.BodyBytes = int64(len(c.Body))
	if w.BodyBytes != nil {
		if *w.BodyBytes < int64(len(c.Body)) {
			return &CaptureError{Field: "bodyBytes", Msg: fmt.Sprintf("got %d, fewer than the %d body bytes sent, expected the total body size seen", *w.BodyBytes, len(c.Body))}
		}
		c.BodyBytes = *w.BodyBytes
	}
	if w.Truncated != nil {
		c.Truncated = *w.Truncated
	}
	if c.Truncated != (c.BodyBytes > int64(len(c.Body))) {
		return &CaptureError{Field: "truncated", Msg: fmt.Sprintf("got %t with %d body bytes sent of bodyBytes %d, expected true exactly when bodyBytes exceeds the bytes sent", c.Truncated, len(c.Body), c.BodyBytes)}
	}
	if w.TS != nil {
		if *w.TS < 0 {
			return &CaptureError{Field: "ts", Msg: fmt.Sprintf("got %d, expected unix milliseconds", *w.TS)}
		}
		c.TS = *w.TS
	}
	return nil
}

// MarshalJSON writes the capture in the wire format.
func (c Capture) MarshalJSON() ([]byte, error) {
	role, path := c.Role.String(), c.Path
	body := base64.StdEncoding.EncodeToString(c.Body)
	w := wireCapture{ID: &c.ID, Role: &role, Service: &c.Service, Method: &c.Method, Path: &path, Status: &c.Status,
		Headers: c.Headers, Body: &body, BodyBytes: &c.BodyBytes, Truncated: &c.Truncated, TS: &c.TS}
	return json.Marshal(w)
}

// EncodeBatch writes captures as a POST /v1/captures body.
func EncodeBatch(caps []Capture) ([]byte, error) {
	return json.Marshal(struct {
		Captures []Capture `json:"captures"`
	}{caps})
}

// jsonField extracts the field a json error is about, or returns def.
func jsonField(err error, def string) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return te.Field
	}
	if s := err.Error(); strings.HasPrefix(s, "json: unknown field ") {
		return strings.Trim(strings.TrimPrefix(s, "json: unknown field "), `"`)
	}
	return def
}

// jsonProblem turns a json decoding error into "got ..., expected ...".
func jsonProblem(err error, want string) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("got a JSON %s, expected %s", te.Value, goTypeWord(te.Type.String()))
	}
	if strings.HasPrefix(err.Error(), "json: unknown field ") {
		return "unknown field, expected only id, role, service, method, path, status, headers, body, bodyBytes, truncated, ts (in a batch object only captures)"
	}
	if err == io.EOF {
		return "got an empty body, expected " + want
	}
	return fmt.Sprintf("not valid JSON (%v), expected %s", err, want)
}

func goTypeWord(t string) string {
	switch {
	case strings.Contains(t, "map[string]string"):
		return "an object of string values"
	case strings.Contains(t, "string"):
		return "a string"
	case strings.Contains(t, "bool"):
		return "true or false"
	case strings.Contains(t, "int"):
		return "an integer"
	case strings.Contains(t, "[]"):
		return "an array"
	}
	return t
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// isToken reports whether s is a non-empty RFC 9110 token.
func isToken(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0 {
			continue
		}
		return false
	}
	return true
}

func quoteCut(s string) string {
	if len(s) > 80 {
		return fmt.Sprintf("%q...", s[:80])
	}
	return fmt.Sprintf("%q", s)
}
