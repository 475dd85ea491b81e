package headerscan

import (
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// naive is what Scan, Baggage, Authority and Carriers compute, written the plain way.
type naive struct {
	lengths   uint64
	bags      []string
	authority string
	carriers  bool
}

func naiveSummary(headers [][2]string) naive {
	var n naive
	host := ""
	for _, h := range headers {
		name := h[0]
		n.lengths |= 1 << (uint(len(name)) % 64)
		if strings.EqualFold(name, "baggage") && len(name) == 7 {
			n.bags = append(n.bags, h[1])
		}
		if name == ":authority" {
			n.authority = h[1]
		}
		if name == "host" && host == "" {
			host = h[1]
		}
		lower := strings.ToLower(name)
		if len(name) > 8 && (strings.HasPrefix(lower, "uberctx-") || strings.HasPrefix(lower, "ot-bagga")) {
			n.carriers = true
		}
	}
	if n.authority == "" {
		n.authority = host
	}
	return n
}

// check fails t unless the summary of headers is the naive one.
func check(t *testing.T, headers [][2]string) {
	t.Helper()
	var s Summary
	Scan(headers, &s)
	want := naiveSummary(headers)
	var buf [4]string
	bags := s.Baggage(headers, buf[:0])
	if s.Lengths != want.lengths || s.HasBaggage() != (len(want.bags) > 0) || !slices.Equal(bags, want.bags) ||
		Authority(headers) != want.authority || Carriers(headers) != want.carriers {
		t.Fatalf("%q: lengths %b bags %q authority %q carriers %v; want %b %q %q %v", headers, s.Lengths, bags,
			Authority(headers), Carriers(headers), want.lengths, want.bags, want.authority, want.carriers)
	}
	for _, h := range headers {
		assert.True(t, s.Has(LengthBit(len(h[0]))), "every name's length is in the mask: %q", h[0])
	}
}

func TestScanSummarisesTheHeaders(t *testing.T) {
	for _, headers := range [][][2]string{
		nil,
		{{":method", "GET"}, {":authority", "svc-b:8080"}, {"baggage", "userid=42,laneway-tenant=sbx-1"}},
		{{"host", "h1"}, {"host", "h2"}, {":authority", ""}},
		{{":authority", "a"}, {":authority", "b"}, {"host", "h"}},
		{{"baggage", "a=1"}, {":scheme", "http"}, {"Baggage", "b=2"}, {"BAGGAGE", "c=3"}, {"baggagf", "x"}, {"baggage", "d"}, {"baggage", "e"}},
		{{"uberctx-laneway-tenant", "x"}, {"user-agent", "ua"}},
		{{"OT-BAGGAGE-laneway-shadow", "1"}},
		{{"uberctx-", "too short to be a carrier"}, {"ot-baggage", "not a prefix match: 10 bytes"}},
		{{"", ""}, {strings.Repeat("x", 64), "length 64 shares bit 0"}, {strings.Repeat("y", 71), "and 71 shares 7"}},
	} {
		check(t, headers)
	}
}

// namePool are names Scan tells apart, names of the same lengths, and carriers in any case.
var namePool = []string{
	":method", ":authority", "host", "baggage", "Baggage", "baggagf", ":scheme", "user-agent", "uberctx-k", "UBERCTX-k",
	"ot-baggage-k", "ot-baggagx", "uberctx-", "x-laneway-shadow", "x-laneway-synthetic", "", "h",
}

// FuzzScan holds Scan, Baggage, Authority and Carriers to the naive summary on requests of pooled and fuzzed names.
func FuzzScan(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5}, "uberctx-x", "v")
	f.Add([]byte{3, 3, 3, 3, 3, 3, 16}, "baggage", "")
	f.Fuzz(func(t *testing.T, picks []byte, name, value string) {
		headers := make([][2]string, 0, len(picks))
		for i, p := range picks {
			n := name
			if j := int(p) % (len(namePool) + 1); j < len(namePool) {
				n = namePool[j]
			}
			v := value
			if i%2 == 1 {
				v = ""
			}
			headers = append(headers, [2]string{n, v})
		}
		check(t, headers)
	})
}
