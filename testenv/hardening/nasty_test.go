package hardening

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/laneway/laneway/testenv"
	"github.com/laneway/laneway/testenv/testenvtest"
)

// nastyRequests are the worst inputs the fuzz targets can reach only slowly,
// replayed in every plain `go test` run.
func nastyRequests(token string) []struct {
	name string
	req  testenv.Headers
} {
	many := testenv.RequestHeaders("POST", spoofHost, "/")
	for i := 0; i < 10_000; i++ {
		many = append(many, testenv.Header{Key: fmt.Sprintf("x-h-%d", i), Value: "v"})
	}
	many = append(many, testenv.Header{Key: "baggage", Value: "laneway-tenant=acme,laneway-shadow=1,laneway-synthetic=1"},
		testenv.Header{Key: "x-laneway-synthetic", Value: "1"}, testenv.Header{Key: "x-laneway-shadow", Value: "1"})
	bags := testenv.RequestHeaders("POST", spoofHost, "/")
	for i := 0; i < 200; i++ {
		bags = append(bags, testenv.Header{Key: "baggage", Value: fmt.Sprintf("k%d=v,laneway-tenant=acme,laneway-shadow=1,laneway-synthetic=1", i)})
	}
	repeated := testenv.RequestHeaders("POST", spoofHost, "/")
	for i := 0; i < 150; i++ {
		repeated = append(repeated,
			testenv.Header{Key: "x-laneway-tenant", Value: "evil"}, testenv.Header{Key: "x-laneway-shadow", Value: "1"},
			testenv.Header{Key: "x-laneway-synthetic", Value: "1;id=a"}, testenv.Header{Key: "x-laneway-synthetic-token", Value: token})
	}
	distinct := testenv.RequestHeaders("POST", spoofHost, "/")
	for i := 0; i < 1100; i++ {
		distinct = append(distinct, testenv.Header{Key: fmt.Sprintf("x-h-%d", i), Value: "v"})
	}
	for i := 0; i < 9; i++ {
		distinct = append(distinct, testenv.Header{Key: fmt.Sprintf("x-laneway-%d", i), Value: "1"})
	}
	mib := strings.Repeat("a", 1<<20)
	return []struct {
		name string
		req  testenv.Headers
	}{
		{"10,000 headers", many},
		{"a 1 MiB baggage value", testenv.RequestHeaders("POST", spoofHost, "/", "baggage", "f="+mib+",laneway-tenant=acme,laneway-shadow=1,laneway-synthetic=1")},
		{"a 1 MiB marker header value", testenv.RequestHeaders("POST", spoofHost, "/", "x-laneway-tenant", mib, "x-laneway-shadow", mib, "x-laneway-synthetic", "1;id="+mib, "x-laneway-synthetic-token", mib)},
		{"a 1 MiB tenant in baggage", testenv.RequestHeaders("POST", spoofHost, "/", "baggage", "laneway-tenant="+mib)},
		{"a 1 MiB :authority", testenv.RequestHeaders("POST", mib+"-shadow:8080", "/")},
		{"200 baggage headers", bags},
		{"1,100 headers and 9 distinct x-laneway-* names", distinct},
		{"150 copies of every marker and token header", repeated},
		{"baggage just over 8 KiB", testenv.RequestHeaders("GET", spoofHost, "/", "baggage", "f="+strings.Repeat("b", 8180)+",laneway-tenant=acme,laneway-shadow=1,laneway-synthetic=1")},
		{"empty names and values", testenv.Headers{{Key: "", Value: ""}, {Key: "", Value: "x"}, {Key: "baggage", Value: ""}, {Key: "x-laneway-tenant", Value: ""}, {Key: "x-laneway-synthetic", Value: ""}}},
		{"binary bytes", testenv.Headers{{Key: ":authority", Value: "\x00\xff-shadow"}, {Key: ":method", Value: "\x00"}, {Key: "\x00\x01\xfe", Value: "\xff\xfe"}, {Key: "baggage", Value: "laneway-tenant=\x00,laneway-shadow=\xff,laneway-synthetic=\x80\x81"}, {Key: "x-laneway-synthetic", Value: "1;id=\xff"}}},
		{"no pseudo-headers at all", testenv.Headers{{Key: "baggage", Value: "laneway-tenant=acme,laneway-shadow=1,laneway-synthetic=1"}}},
		{"no headers at all", testenv.Headers{}},
		{"percent-encoding and properties everywhere", testenv.RequestHeaders("DELETE", spoofHost, "/", "baggage", "laneway-tenant=%61cme;p;q=%zz,laneway-shadow=%31;x,laneway-synthetic=%7")},
	}
}

// knownBlanked lists the nasty inputs for which a filter currently loses every
// request header: it writes the whole header map back with one
// proxy_set_header_map_pairs call, and Envoy's host (cpp-host) decodes a map of
// more than 1024 pairs or 1 MiB as empty, so Envoy removes every header,
// :method and :path included. Reachable only where Envoy's max_headers_count
// or max_request_headers_kb are raised above their defaults (100, 60 KiB).
// Reported to the filter owner; remove an entry once fixed.
var knownBlanked = map[string]string{}

// TestNastyInputsNeverTrapAnyFilterOrBreakItsInvariants sends the worst
// requests through every fuzzed configuration on both Envoy profiles: the VM
// must not trap, and the fuzz targets' invariants must hold.
func TestNastyInputsNeverTrapAnyFilterOrBreakItsInvariants(t *testing.T) {
	rt := testenvtest.Runtime(t)
	token := validToken(t)
	reqs := nastyRequests(token)
	for module, targets := range map[string][]fuzzTarget{
		"tenantroute": tenantrouteTargets(), "shadowtag": shadowtagTargets(), "synthetic": syntheticTargets(),
	} {
		wasm := testenvtest.DistModule(t, module)
		for _, p := range profiles {
			for _, tg := range targets {
				vm := load(t, rt, wasm, tg.p, p)
				for _, nr := range reqs {
					t.Run(fmt.Sprintf("%s/%s/%s/%s", module, p, tg.p.config, nr.name), func(t *testing.T) {
						r := send(vm, nr.req.Clone())
						require.NoError(t, vm.Err(), "the module must not trap")
						if r.local == nil {
							assert.Equal(t, testenv.ActionContinue, r.action)
						}
						tg.check(t, nr.req, r)
						if r.local != nil {
							return
						}
						blanked := len(nr.req.Values(":method")) > 0 && len(r.upstream.Values(":method")) == 0
						if issue, known := knownBlanked[module+"/"+nr.name]; known && blanked {
							t.Logf("known issue, reported: %s", issue)
							return
						}
						assert.False(t, blanked, "the filter wiped the request's headers (pseudo-headers included)")
						assert.Len(t, withPrefix(r.upstream, "x-h-"), len(withPrefix(nr.req, "x-h-")), "unrelated headers pass untouched")
					})
				}
			}
		}
	}
}
