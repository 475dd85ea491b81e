package hardening

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/laneway/laneway/filters/baggage"
	"github.com/laneway/laneway/testenv"
	"github.com/laneway/laneway/testenv/testenvtest"
)

// Fuzz inputs are decoded into a request's header list (decodeRequest); the
// same list goes through every configuration of the filter on both Envoy
// profiles. The VMs are loaded before f.Fuzz: compiling a module inside the
// first input would make the fuzz engine report a hung worker.

// namePool and valuePool are what a one-byte name or value (0x01-0x1f) stands
// for, so that the fuzzer reaches the filters' interesting paths quickly.
var namePool = []string{
	":authority", ":method", ":path", "baggage", "x-laneway-tenant", "x-laneway-shadow",
	"x-laneway-synthetic", "x-laneway-synthetic-token", "x-laneway-shadow-route", "tracestate",
	"host", "X-Laneway-Tenant", "", "ot-baggage-laneway-tenant", "uberctx-laneway-tenant",
	"sd-routing-key", "X-LANEWAY-SHADOW", "x-laneway-", "BAGGAGE", ":scheme",
}

var valuePool = []string{
	"laneway-tenant=acme", "laneway-shadow=1", "laneway-synthetic=tx-1", "1", "1;id=abc", "acme",
	"laneway-tenant=acme,laneway-tenant=evil", "evil", "true", "POST", "svc-b-shadow:8080",
	"laneway-tenant=acme;p=1,sd-routing-key=evil", "laneway-synthetic=1,laneway-shadow=true",
	"laneway-tenant=%61cme", "", " laneway-shadow = 1 ", "laneway-tenant=" + strings.Repeat("a", 64),
	"<token>", "orders.prod.svc.cluster.local", "laneway=1,laneway-tenant", "DELETE",
}

// decodeRequest turns a fuzz input into request headers. spec holds
// NUL-separated name, value, name, value, ...; spec[0] holds flags: bit 0 drops
// the pseudo-headers, bit 1 adds a baggage header of pad*8 filler bytes ending
// in every laneway member, bit 2 repeats the decoded headers `repeat` times.
func decodeRequest(spec []byte, repeat uint8, pad uint16, token string) testenv.Headers {
	var flags byte
	if len(spec) > 0 {
		flags, spec = spec[0], spec[1:]
	}
	var h testenv.Headers
	if flags&1 == 0 {
		h = testenv.RequestHeaders("POST", "svc-b.prod.svc.cluster.local", "/")
	}
	fields := bytes.Split(spec, []byte{0})
	var own testenv.Headers
	for i := 0; i+1 < len(fields); i += 2 {
		own = append(own, testenv.Header{Key: pick(fields[i], namePool, token), Value: pick(fields[i+1], valuePool, token)})
	}
	h = append(h, own...)
	if flags&4 != 0 {
		for i := 0; i < int(repeat); i++ {
			h = append(h, own...)
		}
	}
	if flags&2 != 0 {
		filler := "f=" + strings.Repeat("x", int(pad)*8)
		h = append(h, testenv.Header{Key: "baggage", Value: filler + ",laneway-tenant=acme,laneway-shadow=1,laneway-synthetic=1"})
	}
	return h
}

func pick(b []byte, pool []string, token string) string {
	if len(b) == 1 && b[0] < 0x20 {
		v := pool[int(b[0])%len(pool)]
		if v == "<token>" {
			return token
		}
		return v
	}
	return string(b)
}

// seed encodes name/value pairs the way decodeRequest reads them.
func seed(flags byte, kv ...string) []byte {
	b := []byte{flags}
	for i, s := range kv {
		if i > 0 {
			b = append(b, 0)
		}
		b = append(b, s...)
	}
	return b
}

func addSeeds(f *testing.F) {
	f.Add(seed(0, "baggage", "laneway-tenant=acme", "x-laneway-tenant", "evil"), uint8(0), uint16(0))
	f.Add(seed(0, "x-laneway-shadow", "1", "baggage", "a=b,laneway-shadow=1"), uint8(0), uint16(0))
	f.Add(seed(0, "x-laneway-synthetic", "1;id=abc", "baggage", "laneway-synthetic=abc", "x-laneway-synthetic-token", "v2.99999999999.abc."+strings.Repeat("0", 64)), uint8(0), uint16(0))
	f.Add(seed(4, "\x04", "\x01", "\x03", "\x02"), uint8(120), uint16(0))
	f.Add(seed(2, "\x07", "\x12"), uint8(0), uint16(1100))
	f.Add(seed(1, "", "", "\xff\x00\x01", "\x80\x81"), uint8(0), uint16(0))
	f.Add(seed(6, "baggage", "laneway-tenant=acme,laneway-tenant=evil", "BAGGAGE", " laneway-shadow = 1 "), uint8(200), uint16(2048))
	f.Add(seed(0, "\x06", "\x11", "\x05", "\x0f"), uint8(0), uint16(0))
	f.Add([]byte{}, uint8(0), uint16(0))
}

// fuzzTarget is one filter configuration and the invariants every request through it keeps.
type fuzzTarget struct {
	p     plugin
	check func(t *testing.T, in testenv.Headers, r result)
}

type fuzzVM struct {
	vm      *testenv.VM
	target  fuzzTarget
	profile testenv.Profile
}

// fuzzWasm loads every target on both profiles, then fuzzes them with decodeRequest.
func fuzzWasm(f *testing.F, module string, targets []fuzzTarget) {
	wasm := testenvtest.DistModule(f, module)
	rt := testenvtest.Runtime(f)
	var vms []*fuzzVM
	for _, p := range profiles {
		for _, tg := range targets {
			vms = append(vms, &fuzzVM{vm: load(f, rt, wasm, tg.p, p), target: tg, profile: p})
		}
	}
	token := validToken(f)
	addSeeds(f)
	f.Fuzz(func(t *testing.T, spec []byte, repeat uint8, pad uint16) {
		in := decodeRequest(spec, repeat, pad, token)
		for _, v := range vms {
			if v.vm.Err() != nil { // an earlier input failed it: start a fresh worker VM
				vm, err := rt.LoadVM(context.Background(), wasm, testenv.VMOptions{Profile: v.profile, PluginConfig: []byte(v.target.p.config), Properties: v.target.p.props, LogLevel: testenv.LogInfo})
				if err != nil {
					t.Fatalf("reload %s: %v", v.target.p.config, err)
				}
				v.vm = vm
			}
			r := send(v.vm, in.Clone())
			if err := v.vm.Err(); err != nil {
				t.Fatalf("%s %s on %s trapped on %d headers: %v", module, v.target.p.config, v.profile, len(in), err)
			}
			if r.local == nil && r.action != testenv.ActionContinue {
				t.Fatalf("%s %s: action %s without a local reply", module, v.target.p.config, r.action)
			}
			if r.local == nil && withinPairsLimits(in) && len(in.Values(":method")) > 0 {
				failIf(t, len(r.upstream.Values(":method")) == 0, "%s %s wiped the request headers", module, v.target.p.config)
			}
			v.target.check(t, in, r)
		}
	})
}

func validToken(tb testing.TB) string {
	tb.Helper()
	tok, err := mintToken(tokenSecret, tokenTxID, time.Now().Add(time.Hour))
	if err != nil {
		tb.Fatal(err)
	}
	return tok
}

// keptMembers returns the values of key among the members a W3C-conforming
// parser keeps (laneway's own, with its limits).
func keptMembers(h testenv.Headers, key string) []string {
	b := baggage.Parse(h.Values("baggage"))
	var out []string
	for i := 0; i < b.Len(); i++ {
		if m := b.At(i); m.Key == key {
			out = append(out, m.Value)
		}
	}
	return out
}

func failIf(t *testing.T, bad bool, format string, args ...any) {
	t.Helper()
	if bad {
		t.Fatalf(format, args...)
	}
}

var dnsLabel = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

func FuzzTenantrouteWasm(f *testing.F) { fuzzWasm(f, "tenantroute", tenantrouteTargets()) }

// tenantrouteTargets: a gateway never forwards a client's x-laneway-* header nor
// a rejected tenant; a sidecar forwards at most one valid tenant header.
func tenantrouteTargets() []fuzzTarget {
	return []fuzzTarget{
		{plugin{module: "tenantroute", config: `{"trustBoundary":true,"allow":["acme"],"stripBaggage":true}`}, func(t *testing.T, in testenv.Headers, r result) {
			failIf(t, r.local != nil, "tenantroute answered locally: %+v", r.local)
			tenant := r.upstream.Values("x-laneway-tenant")
			failIf(t, len(tenant) > 1 || len(tenant) == 1 && tenant[0] != "acme", "gateway forwarded x-laneway-tenant %q", tenant)
			for _, name := range withPrefix(r.upstream, "x-laneway-") {
				failIf(t, name != "x-laneway-tenant", "gateway forwarded client header %q", name)
			}
			if len(tenant) == 0 {
				for _, key := range []string{"laneway-tenant", "sd-routing-key"} {
					got := laxMembers(r.upstream, key)
					failIf(t, len(got) > 0, "gateway rejected the tenant but forwarded baggage %s=%q", key, got)
				}
			}
		}},
		{plugin{module: "tenantroute", config: `{}`}, func(t *testing.T, in testenv.Headers, r result) {
			failIf(t, r.local != nil, "tenantroute answered locally: %+v", r.local)
			tenant := r.upstream.Values("x-laneway-tenant")
			failIf(t, len(tenant) > 1, "sidecar forwarded %d x-laneway-tenant headers", len(tenant))
			failIf(t, len(tenant) == 1 && !dnsLabel.MatchString(tenant[0]), "sidecar routed to invalid tenant %q", tenant)
		}},
	}
}

func FuzzShadowtagWasm(f *testing.F) { fuzzWasm(f, "shadowtag", shadowtagTargets()) }

// shadowtagTargets: the edge forwards no shadow marker at all; inbound leaves one
// canonical marker on shadow requests; outbound only ever suppresses with 202.
func shadowtagTargets() []fuzzTarget {
	return []fuzzTarget{
		{plugin{module: "shadowtag", config: `{"mode":"edge"}`}, func(t *testing.T, in testenv.Headers, r result) {
			failIf(t, r.local != nil, "edge answered locally: %+v", r.local)
			failIf(t, len(r.upstream.Values("x-laneway-shadow")) > 0, "edge forwarded x-laneway-shadow %q", r.upstream.Values("x-laneway-shadow"))
			failIf(t, len(r.upstream.Values("x-laneway-shadow-route")) > 0, "edge forwarded the reroute header")
			got := laxMembers(r.upstream, "laneway-shadow")
			failIf(t, len(got) > 0, "edge forwarded baggage laneway-shadow=%q", got)
		}},
		{plugin{module: "shadowtag", config: `{"mode":"inbound"}`}, func(t *testing.T, in testenv.Headers, r result) {
			failIf(t, r.local != nil, "inbound answered locally: %+v", r.local)
			vals := r.upstream.Values("x-laneway-shadow")
			for _, v := range vals {
				if s := strings.Trim(v, " \t"); s == "1" || strings.EqualFold(s, "true") {
					failIf(t, len(vals) != 1 || vals[0] != "1", "inbound marked shadow but forwarded x-laneway-shadow %q", vals)
				}
			}
		}},
		{plugin{module: "shadowtag", config: `{"mode":"outbound"}`}, func(t *testing.T, in testenv.Headers, r result) {
			if r.local != nil {
				failIf(t, r.local.StatusCode != 202, "outbound suppressed with status %d", r.local.StatusCode)
				failIf(t, r.action != testenv.ActionPause, "a suppressed request must not continue")
			}
		}},
	}
}

var normalised = regexp.MustCompile(`^1;id=([A-Za-z0-9_-]{1,64})$`)

// syntheticInvariant: a forwarded marker is the one normalised header plus the
// matching baggage member (unless that member would break W3C's limits);
// without it no marker member a conforming parser reads is left; the token
// never reaches upstream where a secret is configured.
func syntheticInvariant(tokenStripped bool) func(t *testing.T, in testenv.Headers, r result) {
	return func(t *testing.T, in testenv.Headers, r result) {
		if r.local != nil {
			failIf(t, r.local.StatusCode != 403, "refusal with status %d", r.local.StatusCode)
			return
		}
		if tokenStripped {
			failIf(t, len(r.upstream.Values("x-laneway-synthetic-token")) > 0, "token header forwarded")
		}
		marker := r.upstream.Values("x-laneway-synthetic")
		kept := keptMembers(r.upstream, "laneway-synthetic")
		if len(marker) == 0 {
			failIf(t, len(kept) > 0, "marker stripped but baggage laneway-synthetic=%q forwarded", kept)
			return
		}
		failIf(t, len(marker) != 1, "%d marker headers forwarded", len(marker))
		m := normalised.FindStringSubmatch(marker[0])
		failIf(t, m == nil, "marker %q not normalised", marker[0])
		if len(kept) == 0 { // allowed only when the member would break W3C's baggage limits
			_, fits := baggage.AppendMember(strings.Join(r.upstream.Values("baggage"), ","), "laneway-synthetic", m[1])
			failIf(t, fits, "marker id %s but no baggage member, though one fits", m[1])
			return
		}
		failIf(t, len(kept) != 1 || kept[0] != m[1], "marker id %s but baggage %q", m[1], kept)
	}
}

func FuzzSyntheticWasm(f *testing.F) { fuzzWasm(f, "synthetic", syntheticTargets()) }

// syntheticTargets: edge and inbound with a token secret, inbound trusting a
// principal (the peer is trusted), and outbound; see syntheticInvariant.
func syntheticTargets() []fuzzTarget {
	secret := `"trust":{"token":{"secret":"` + tokenSecret + `"}}`
	return []fuzzTarget{
		{plugin{module: "synthetic", config: `{"mode":"edge",` + secret + `,"participants":["svc-b.prod.svc.cluster.local"]}`}, syntheticInvariant(true)},
		{plugin{module: "synthetic", config: `{"mode":"inbound",` + secret + `}`}, syntheticInvariant(true)},
		{plugin{module: "synthetic", config: `{"mode":"inbound","trust":{"principals":["` + runnerSPIFFE + `"]}}`,
			props: map[string][]byte{"connection.uri_san_peer_certificate": testenv.StringValue(runnerSPIFFE)}}, syntheticInvariant(false)},
		{plugin{module: "synthetic", config: `{"mode":"outbound"}`}, syntheticInvariant(false)},
	}
}

// withinPairsLimits reports whether h, plus the few headers a filter adds, stays
// within what Envoy's host decodes from proxy_set_header_map_pairs (1024 pairs,
// 1 MiB); beyond that see knownBlanked.
func withinPairsLimits(h testenv.Headers) bool {
	size := 0
	for _, kv := range h {
		size += len(kv.Key) + len(kv.Value) + 10
	}
	return len(h) <= 1000 && size <= 1<<20-64<<10
}
