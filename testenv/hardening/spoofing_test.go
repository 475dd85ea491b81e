package hardening

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/laneway/laneway/filters/baggage"
	"github.com/laneway/laneway/synthetic"
	"github.com/laneway/laneway/testenv"
	"github.com/laneway/laneway/testenv/apphop"
	"github.com/laneway/laneway/testenv/testenvtest"
)

// check is one assertion on what a request forwarded (or answered locally).
type check struct {
	what  string // "header", "baggage" or "local"
	name  string // header name or baggage key
	want  []string
	re    *regexp.Regexp // when set, exactly one value matching re
	local uint32
}

// hdr: the forwarded request carries exactly these values of header name (none: absent).
func hdr(name string, want ...string) check { return check{what: "header", name: name, want: want} }

// hdrRe: the forwarded request carries exactly one value of name, matching re.
func hdrRe(name, re string) check {
	return check{what: "header", name: name, re: regexp.MustCompile("^(?:" + re + ")$")}
}

// bag: the forwarded baggage holds exactly these values of key, read by the laxest parser (none: absent).
func bag(key string, want ...string) check { return check{what: "baggage", name: key, want: want} }

// bagRe: the forwarded baggage holds exactly one value of key, matching re.
func bagRe(key, re string) check {
	return check{what: "baggage", name: key, re: regexp.MustCompile("^(?:" + re + ")$")}
}

// local: the filter answered with a local reply of this status instead of forwarding.
func local(status uint32) check { return check{what: "local", local: status} }

func (c check) verify(t *testing.T, r result) {
	t.Helper()
	switch c.what {
	case "local":
		require.NotNil(t, r.local, "a local reply %d", c.local)
		assert.Equal(t, c.local, r.local.StatusCode)
		return
	}
	var got []string
	switch c.what {
	case "header":
		got = r.upstream.Values(c.name)
	default:
		got = laxMembers(r.upstream, c.name)
	}
	if c.re != nil {
		if assert.Len(t, got, 1, "%s %s forwarded once", c.what, c.name) {
			assert.Regexp(t, c.re, got[0], "%s %s", c.what, c.name)
		}
		return
	}
	assert.Equal(t, c.want, got, "%s %s forwarded", c.what, c.name)
}

// spoofRow is one line of the matrix: a marker, a filter configuration, what an
// outside client sends, the outcome, and the assertions proving it.
type spoofRow struct {
	marker, setup, client, outcome string
	p                              plugin
	req                            testenv.Headers
	checks                         []check
}

const (
	spoofHost     = "svc-b.prod.svc.cluster.local"
	tokenSecret   = "hardening-secret-0123456789abcdef"
	runnerSPIFFE  = "spiffe://cluster.local/ns/synthetics/sa/runner"
	webSPIFFE     = "spiffe://cluster.local/ns/shop/sa/web"
	newIDPattern  = "[0-9a-f]{32}"
	tokenTxID     = "tx-spoof"
	participantOK = "orders.prod.svc.cluster.local"
)

// req builds a GET to spoofHost with extra headers as name/value pairs.
func req(kv ...string) testenv.Headers { return testenv.RequestHeaders("GET", spoofHost, "/", kv...) }

// filler is a baggage header of 64 unrelated members: a marker after it lies
// beyond W3C's member limit, where laneway's parser no longer sees it.
func filler() string {
	m := make([]string, 64)
	for i := range m {
		m[i] = fmt.Sprintf("f%d=1", i)
	}
	return strings.Join(m, ",")
}

func mint(t *testing.T, secret string, expiry time.Time) string {
	tok, err := synthetic.MintToken([]byte(secret), tokenTxID, expiry)
	require.NoError(t, err)
	return tok
}

func tenantRows() []spoofRow {
	const marker = "tenant"
	gwStrip := plugin{module: "tenantroute", config: `{"trustBoundary":true,"allow":["acme"],"stripBaggage":true}`}
	gwKeep := plugin{module: "tenantroute", config: `{"trustBoundary":true,"allow":["acme"],"stripBaggage":false}`}
	gwDefault := plugin{module: "tenantroute", config: `{"trustBoundary":true,"allow":["acme"]}`}
	gwNoAllow := plugin{module: "tenantroute", config: `{"trustBoundary":true,"stripBaggage":true}`}
	sidecar := plugin{module: "tenantroute", config: `{}`}
	sidecarAllow := plugin{module: "tenantroute", config: `{"allow":["acme"]}`}
	const (
		sGwStrip   = "gateway: trustBoundary, allow [acme], stripBaggage"
		sGwKeep    = "gateway: trustBoundary, allow [acme], stripBaggage false (unsafe)"
		sGwDefault = "gateway: trustBoundary, allow [acme] (strips by default)"
		sGwNoAllow = "gateway: trustBoundary, no allow list, stripBaggage"
		sSidecar   = "sidecar: trustBoundary off, no allow list"
		sSideAllow = "sidecar: trustBoundary off, allow [acme]"
	)
	const th = "x-laneway-tenant"
	hdrOnly := req(th, "acme")
	bagAcme := req("baggage", "laneway-tenant=acme")
	bagEvil := req("baggage", "laneway-tenant=evil")
	both := req(th, "evil", "baggage", "laneway-tenant=acme")
	upper := req("X-Laneway-Tenant", "acme")
	repeated := req(th, "acme", th, "acme", "baggage", "laneway-tenant=acme", "baggage", "laneway-tenant=evil")
	sd := req("baggage", "sd-routing-key=acme")
	sdBehindCopies := req("baggage", "laneway-tenant=evil0,sd-routing-key=acme", "baggage", "laneway-tenant=evil")
	others := req("x-laneway-shadow", "1", "x-laneway-synthetic", "1", "x-laneway-synthetic-token", "v1.1.x.y")
	beyond := req("baggage", filler()+",laneway-tenant=acme")
	// Issue 17: keys other propagators decode, carriers the gateway does not read, Signadot's copies.
	encoded := func(key string) testenv.Headers { return req("baggage", "userid=42,"+key+"=evil") }
	acmeAndEncoded := req("baggage", "laneway-tenant=acme,laneway%2Dtenant=evil")
	unread := req("tracestate", "dd=s:1,laneway-tenant=evil,sd-routing-key=evil", "ot-baggage-laneway-tenant", "evil",
		"uberctx-laneway-tenant", "evil", "uberctx-sd-routing-key", "evil", "sd-routing-key", "evil")
	signadot := req("baggage", "sd-routing-key=acme", "tracestate", "sd-routing-key=acme", "ot-baggage-sd-routing-key", "acme", "uberctx-sd-routing-key", "acme")
	noCarriers := []check{hdr("tracestate", "dd=s:1"), hdr("ot-baggage-laneway-tenant"), hdr("uberctx-laneway-tenant"), hdr("uberctx-sd-routing-key"), hdr("sd-routing-key"), hdr(th)}
	return []spoofRow{
		{marker, sGwStrip, "header only (acme)", "stripped, baseline", gwStrip, hdrOnly, []check{hdr(th)}},
		{marker, sGwStrip, "baggage only (acme)", "routed to acme", gwStrip, bagAcme, []check{hdr(th, "acme"), bag("laneway-tenant", "acme")}},
		{marker, sGwStrip, "baggage only (evil, not allowed)", "baseline, baggage member stripped", gwStrip, bagEvil, []check{hdr(th), bag("laneway-tenant")}},
		{marker, sGwStrip, "header evil + baggage acme", "header replaced, routed to acme", gwStrip, both, []check{hdr(th, "acme"), bag("laneway-tenant", "acme")}},
		{marker, sGwStrip, "upper-case header name (acme)", "stripped, baseline", gwStrip, upper, []check{hdr(th)}},
		{marker, sGwStrip, "repeated headers, baggage copies disagree", "stripped, baseline, baggage members stripped", gwStrip, repeated, []check{hdr(th), bag("laneway-tenant")}},
		{marker, sGwStrip, "baggage sd-routing-key=acme", "routed to acme, carried on as it came and as laneway-tenant", gwStrip, sd, []check{hdr(th, "acme"), bag("laneway-tenant", "acme"), bag("sd-routing-key", "acme")}},
		{marker, sGwStrip, "sd-routing-key=acme next to conflicting laneway-tenant copies (evil)", "routed to acme, only acme carried on", gwStrip, sdBehindCopies, []check{hdr(th, "acme"), bag("laneway-tenant", "acme"), bag("sd-routing-key", "acme")}},
		{marker, sGwStrip, "other x-laneway-* headers", "all stripped (prefix x-laneway-)", gwStrip, others, []check{hdr("x-laneway-shadow"), hdr("x-laneway-synthetic"), hdr("x-laneway-synthetic-token"), hdr(th)}},
		{marker, sGwStrip, "tenant beyond the 64-member baggage limit", "baseline, member dropped", gwStrip, beyond, []check{hdr(th), bag("laneway-tenant")}},
		{marker, sGwStrip, "encoded key laneway%2Dtenant=evil (JS, Python decode it)", "baseline, member stripped", gwStrip, encoded("laneway%2Dtenant"), []check{hdr(th), bag("laneway-tenant"), bag("userid", "42")}},
		{marker, sGwStrip, "encoded key %6Caneway-tenant=evil", "baseline, member stripped", gwStrip, encoded("%6Caneway-tenant"), []check{hdr(th), bag("laneway-tenant")}},
		{marker, sGwStrip, "encoded key sd-routing%2Dkey=evil", "baseline, member stripped", gwStrip, encoded("sd-routing%2Dkey"), []check{hdr(th), bag("sd-routing-key")}},
		{marker, sGwStrip, "key laneway-tenant+=evil (Python: '+' is a space, stripped)", "baseline, member stripped", gwStrip, encoded("laneway-tenant+"), []check{hdr(th), bag("laneway-tenant")}},
		{marker, sGwStrip, "key laneway-tenant%20=evil (Python strips after decoding)", "baseline, member stripped", gwStrip, encoded("laneway-tenant%20"), []check{hdr(th), bag("laneway-tenant")}},
		{marker, sGwStrip, "encoded key laneway%2dtenant=evil (lower-case escape)", "baseline, member stripped", gwStrip, encoded("laneway%2dtenant"), []check{hdr(th), bag("laneway-tenant")}},
		{marker, sGwStrip, "key laneway-tenant%09=evil (encoded tab, Python strips it)", "baseline, member stripped", gwStrip, encoded("laneway-tenant%09"), []check{hdr(th), bag("laneway-tenant")}},
		{marker, sGwStrip, "laneway-tenant=acme + encoded evil copy", "routed to acme, encoded copy stripped", gwStrip, acmeAndEncoded, []check{hdr(th, "acme"), bag("laneway-tenant", "acme")}},
		{marker, sGwStrip, "tenant in carriers the gateway does not read (tracestate, ot-baggage-, uberctx-, plain sd-routing-key)", "baseline, every carrier stripped", gwStrip, unread, noCarriers},
		{marker, sGwStrip, "Signadot's four copies of sd-routing-key=acme", "routed to acme, each copy travels on with acme", gwStrip, signadot,
			[]check{hdr(th, "acme"), bag("sd-routing-key", "acme"), bag("laneway-tenant", "acme"), hdr("tracestate", "sd-routing-key=acme"), hdr("ot-baggage-sd-routing-key", "acme"), hdr("uberctx-sd-routing-key", "acme")}},
		{marker, sGwDefault, "baggage only (evil, not allowed)", "baseline, baggage member stripped", gwDefault, bagEvil, []check{hdr(th), bag("laneway-tenant")}},
		{marker, sGwDefault, "encoded key laneway%2Dtenant=evil", "baseline, member stripped", gwDefault, encoded("laneway%2Dtenant"), []check{hdr(th), bag("laneway-tenant")}},
		{marker, sGwDefault, "tenant in carriers the gateway does not read", "baseline, every carrier stripped", gwDefault, unread, noCarriers},
		{marker, sGwKeep, "header only (acme)", "stripped, baseline", gwKeep, hdrOnly, []check{hdr(th)}},
		{marker, sGwKeep, "baggage only (acme)", "routed to acme", gwKeep, bagAcme, []check{hdr(th, "acme")}},
		{marker, sGwKeep, "baggage only (evil, not allowed)", "baseline, baggage member left for later hops", gwKeep, bagEvil, []check{hdr(th), bag("laneway-tenant", "evil")}},
		{marker, sGwNoAllow, "header only (acme)", "stripped, baseline", gwNoAllow, hdrOnly, []check{hdr(th)}},
		{marker, sGwNoAllow, "baggage only (acme)", "baseline, baggage member stripped", gwNoAllow, bagAcme, []check{hdr(th), bag("laneway-tenant")}},
		{marker, sSidecar, "header only (acme)", "header removed, baseline", sidecar, hdrOnly, []check{hdr(th)}},
		{marker, sSidecar, "baggage only (acme)", "routed to acme", sidecar, bagAcme, []check{hdr(th, "acme")}},
		{marker, sSidecar, "baggage only (evil)", "routed to evil (any valid tenant)", sidecar, bagEvil, []check{hdr(th, "evil")}},
		{marker, sSidecar, "header evil + baggage acme", "header replaced, routed to acme", sidecar, both, []check{hdr(th, "acme")}},
		{marker, sSidecar, "upper-case header name (acme)", "header removed, baseline", sidecar, upper, []check{hdr(th)}},
		{marker, sSidecar, "repeated headers, baggage copies disagree", "header removed, baseline", sidecar, repeated, []check{hdr(th), bag("laneway-tenant", "acme", "evil")}},
		{marker, sSidecar, "other x-laneway-* headers", "passed (no trust boundary)", sidecar, others, []check{hdr("x-laneway-shadow", "1"), hdr("x-laneway-synthetic", "1")}},
		{marker, sSideAllow, "baggage only (acme)", "routed to acme", sidecarAllow, bagAcme, []check{hdr(th, "acme")}},
		{marker, sSideAllow, "baggage only (evil, not allowed)", "baseline, baggage member left", sidecarAllow, bagEvil, []check{hdr(th), bag("laneway-tenant", "evil")}},
	}
}

func shadowRows() []spoofRow {
	const marker = "shadow"
	edge := plugin{module: "shadowtag", config: `{"mode":"edge"}`}
	inbound := plugin{module: "shadowtag", config: `{"mode":"inbound"}`}
	const (
		sEdge    = "gateway: mode edge"
		sInbound = "sidecar: mode inbound (defaults)"
	)
	const sh = "x-laneway-shadow"
	hdrOnly := req(sh, "1")
	bagOnly := req("baggage", "laneway-shadow=1")
	both := req(sh, "1", "baggage", "a=b,laneway-shadow=1")
	upper := req("X-LANEWAY-SHADOW", "true")
	repeated := req(sh, "0", sh, "1", "baggage", "a=b", "baggage", "laneway-shadow=1")
	route := req("x-laneway-shadow-route", "test-double")
	suffix := testenv.RequestHeaders("GET", "svc-b-shadow:8080", "/")
	beyond := req("baggage", filler()+",laneway-shadow=1")
	return []spoofRow{
		{marker, sEdge, "header only", "stripped", edge, hdrOnly, []check{hdr(sh), bag("laneway-shadow")}},
		{marker, sEdge, "baggage only", "stripped", edge, bagOnly, []check{hdr(sh), bag("laneway-shadow"), hdr("baggage")}},
		{marker, sEdge, "header + baggage", "stripped, other members kept", edge, both, []check{hdr(sh), bag("laneway-shadow"), bag("a", "b")}},
		{marker, sEdge, "upper-case header name", "stripped", edge, upper, []check{hdr(sh)}},
		{marker, sEdge, "repeated headers and baggage headers", "stripped", edge, repeated, []check{hdr(sh), bag("laneway-shadow"), bag("a", "b")}},
		{marker, sEdge, "reroute header x-laneway-shadow-route", "stripped", edge, route, []check{hdr("x-laneway-shadow-route")}},
		{marker, sEdge, "-shadow host suffix, no marker", "suffix removed (svc-b:8080): no mirror host reaches the mesh", edge, suffix, []check{hdr(sh), hdr(":authority", "svc-b:8080")}},
		{marker, sEdge, "encoded key laneway%2Dshadow=1 (JS, Python decode it)", "stripped", edge, req("baggage", "a=b,laneway%2Dshadow=1"), []check{hdr(sh), bag("laneway-shadow"), bag("a", "b")}},
		{marker, sEdge, "key laneway-shadow+=1 (Python)", "stripped", edge, req("baggage", "laneway-shadow+=1"), []check{bag("laneway-shadow"), hdr("baggage")}},
		{marker, sEdge, "ot-baggage-/uberctx-laneway-shadow headers", "stripped", edge, req("ot-baggage-laneway-shadow", "1", "uberctx-laneway-shadow", "1"), []check{hdr("ot-baggage-laneway-shadow"), hdr("uberctx-laneway-shadow")}},
		{marker, sEdge, "marker beyond the 64-member baggage limit", "stripped (members beyond the limit dropped)", edge, beyond, []check{hdr(sh), bag("laneway-shadow")}},
		{marker, sInbound, "header only", "accepted: marked shadow", inbound, hdrOnly, []check{hdr(sh, "1"), bag("laneway-shadow", "1")}},
		{marker, sInbound, "baggage only", "accepted: marked shadow", inbound, bagOnly, []check{hdr(sh, "1"), bag("laneway-shadow", "1")}},
		{marker, sInbound, "upper-case header name", "accepted: marked shadow", inbound, upper, []check{hdr(sh, "1"), bag("laneway-shadow", "1")}},
		{marker, sInbound, "repeated headers and baggage headers", "accepted: one marker left", inbound, repeated, []check{hdr(sh, "1"), bag("laneway-shadow", "1"), bag("a", "b")}},
		{marker, sInbound, "-shadow host suffix, no marker", "marked shadow", inbound, suffix, []check{hdr(sh, "1"), bag("laneway-shadow", "1")}},
		{marker, sInbound, "marker beyond the 64-member baggage limit", "passed unmarked (member beyond the limit ignored)", inbound, beyond, []check{hdr(sh)}},
	}
}

func syntheticRows(t *testing.T) []spoofRow {
	const marker = "synthetic"
	secretCfg := `"trust":{"token":{"secret":"` + tokenSecret + `"}}`
	edge := plugin{module: "synthetic", config: `{"mode":"edge",` + secretCfg + `,"participants":["` + participantOK + `"]}`}
	inToken := plugin{module: "synthetic", config: `{"mode":"inbound",` + secretCfg + `}`}
	principals := `{"mode":"inbound","trust":{"principals":["` + runnerSPIFFE + `"]}}`
	inPeer := plugin{module: "synthetic", config: principals, props: map[string][]byte{"connection.uri_san_peer_certificate": testenv.StringValue(runnerSPIFFE)}}
	inUntrusted := plugin{module: "synthetic", config: principals, props: map[string][]byte{"connection.uri_san_peer_certificate": testenv.StringValue(webSPIFFE)}}
	inNoPeer := plugin{module: "synthetic", config: principals}
	inNone := plugin{module: "synthetic", config: `{"mode":"inbound"}`, props: map[string][]byte{"connection.uri_san_peer_certificate": testenv.StringValue(runnerSPIFFE)}}
	const (
		sEdge      = "gateway: mode edge, token secret"
		sInToken   = "sidecar: mode inbound, token secret"
		sPeer      = "sidecar: inbound, trusted principals, trusted peer"
		sUntrusted = "sidecar: inbound, trusted principals, untrusted peer"
		sNoPeer    = "sidecar: inbound, trusted principals, no peer identity"
		sNone      = "sidecar: inbound, no trusted source"
	)
	const sy, tk = "x-laneway-synthetic", "x-laneway-synthetic-token"
	now := time.Now()
	valid := mint(t, tokenSecret, now.Add(10*time.Minute))
	forged := mint(t, "another-secret-0123456789abcdef!", now.Add(10*time.Minute))
	expired := mint(t, tokenSecret, now.Add(-time.Hour))
	hdrOnly := req(sy, "1")
	bagOnly := req("baggage", "laneway-synthetic=tx-1")
	both := req(sy, "1;id=tx-1", "baggage", "laneway-synthetic=tx-1")
	upper := req("X-Laneway-Synthetic", "1")
	repeated := req(sy, "1;id=a", sy, "1;id=b", "baggage", "laneway-synthetic=a", "baggage", "laneway-synthetic=c")
	withValid := req(sy, "1", tk, valid)
	withForged := req(sy, "1", tk, forged)
	withExpired := req(sy, "1", tk, expired)
	twoTokens := req(sy, "1", tk, valid, tk, valid)
	tokenOnly := req(tk, valid)
	beyond := req("baggage", filler()+",laneway-synthetic=1")
	post := testenv.RequestHeaders("POST", "payments.prod.svc.cluster.local", "/charge", sy, "1", tk, valid)
	postParticipant := testenv.RequestHeaders("POST", participantOK, "/orders", sy, "1", tk, valid)
	stripped := []check{hdr(sy), bag("laneway-synthetic"), hdr(tk)}
	acceptedToken := []check{hdr(sy, "1;id="+tokenTxID), bag("laneway-synthetic", tokenTxID), hdr(tk)}
	return []spoofRow{
		{marker, sEdge, "header only", "stripped", edge, hdrOnly, stripped},
		{marker, sEdge, "baggage only", "stripped", edge, bagOnly, stripped},
		{marker, sEdge, "header + baggage", "stripped", edge, both, stripped},
		{marker, sEdge, "upper-case header name", "stripped", edge, upper, stripped},
		{marker, sEdge, "repeated headers and baggage headers", "stripped", edge, repeated, stripped},
		{marker, sEdge, "header + valid token", "accepted, id from the token, token removed", edge, withValid, acceptedToken},
		{marker, sEdge, "header + forged token (other secret)", "stripped, token removed", edge, withForged, stripped},
		{marker, sEdge, "header + expired token", "stripped, token removed", edge, withExpired, stripped},
		{marker, sEdge, "header + the valid token twice", "stripped, tokens removed", edge, twoTokens, stripped},
		{marker, sEdge, "valid token, no marker", "token removed, ordinary request", edge, tokenOnly, stripped},
		{marker, sEdge, "header + valid token, POST to a non-participant", "accepted, then refused 403", edge, post, []check{local(403)}},
		{marker, sEdge, "header + valid token, POST to a participant", "accepted, forwarded", edge, postParticipant, acceptedToken},
		{marker, sEdge, "marker beyond the 64-member baggage limit", "stripped (members beyond the limit dropped)", edge, beyond, []check{hdr(sy), bag("laneway-synthetic")}},
		{marker, sEdge, "encoded key laneway%2Dsynthetic=tx-1, no token", "stripped", edge, req("baggage", "a=1,laneway%2Dsynthetic=tx-1"), []check{bag("laneway-synthetic"), bag("a", "1")}},
		{marker, sEdge, "key laneway-synthetic%20=tx-1 (Python), no token", "stripped", edge, req("baggage", "laneway-synthetic%20=tx-1"), []check{bag("laneway-synthetic"), hdr("baggage")}},
		{marker, sEdge, "ot-baggage-/uberctx-laneway-synthetic headers, no token", "stripped", edge, req("ot-baggage-laneway-synthetic", "tx-1", "uberctx-laneway-synthetic", "tx-1"), []check{hdr("ot-baggage-laneway-synthetic"), hdr("uberctx-laneway-synthetic")}},
		{marker, sEdge, "header + valid token + encoded copy laneway%2Dsynthetic=evil", "accepted, only the token's id travels", edge, req(sy, "1", tk, valid, "baggage", "laneway%2Dsynthetic=evil"), acceptedToken},
		{marker, sInToken, "header only", "stripped", inToken, hdrOnly, stripped},
		{marker, sInToken, "baggage only", "stripped", inToken, bagOnly, stripped},
		{marker, sInToken, "header + valid token", "accepted, id from the token, token removed", inToken, withValid, acceptedToken},
		{marker, sInToken, "header + forged token (other secret)", "stripped, token removed", inToken, withForged, stripped},
		{marker, sInToken, "header + expired token", "stripped, token removed", inToken, withExpired, stripped},
		{marker, sPeer, "header only", "accepted, new id", inPeer, hdrOnly, []check{hdrRe(sy, "1;id="+newIDPattern), bagRe("laneway-synthetic", newIDPattern)}},
		{marker, sPeer, "baggage only (tx-1)", "accepted, id tx-1", inPeer, bagOnly, []check{hdr(sy, "1;id=tx-1"), bag("laneway-synthetic", "tx-1")}},
		{marker, sPeer, "repeated headers, ids disagree", "accepted, new id", inPeer, repeated, []check{hdrRe(sy, "1;id="+newIDPattern), bagRe("laneway-synthetic", newIDPattern)}},
		{marker, sPeer, "valid token, no marker", "token removed (also without a secret)", inPeer, tokenOnly, []check{hdr(sy), hdr(tk)}},
		{marker, sUntrusted, "header only", "stripped", inUntrusted, hdrOnly, []check{hdr(sy), bag("laneway-synthetic")}},
		{marker, sUntrusted, "baggage only", "stripped", inUntrusted, bagOnly, []check{hdr(sy), bag("laneway-synthetic")}},
		{marker, sUntrusted, "header + valid token", "stripped, token removed (no secret configured)", inUntrusted, withValid, []check{hdr(sy), bag("laneway-synthetic"), hdr(tk)}},
		{marker, sNoPeer, "header only", "stripped", inNoPeer, hdrOnly, []check{hdr(sy), bag("laneway-synthetic")}},
		{marker, sNone, "header + baggage", "stripped", inNone, both, []check{hdr(sy), bag("laneway-synthetic")}},
	}
}

var (
	reToken = regexp.MustCompile(`v1\.[0-9]+\.[A-Za-z0-9_-]+\.[0-9a-f]{64}`)
	reNewID = regexp.MustCompile(newIDPattern)
)

// forwardedSummary renders what reached upstream for the matrix: every
// x-laneway-* header and every laneway-*/sd-routing-key baggage member, with
// tokens and generated ids replaced by placeholders so the table is stable.
func forwardedSummary(r result) string {
	if r.local != nil {
		return fmt.Sprintf("local reply %d", r.local.StatusCode)
	}
	var parts []string
	for _, kv := range r.upstream {
		if strings.HasPrefix(kv.Key, "x-laneway-") {
			parts = append(parts, kv.Key+": "+kv.Value)
		}
	}
	for _, kv := range r.upstream {
		if strings.HasPrefix(kv.Key, "ot-baggage-") || strings.HasPrefix(kv.Key, "uberctx-") || kv.Key == "sd-routing-key" ||
			kv.Key == ":authority" && strings.Contains(kv.Value, "-shadow") {
			parts = append(parts, kv.Key+": "+kv.Value)
		}
	}
	for _, carrier := range []string{"baggage", "tracestate"} {
		for _, v := range r.upstream.Values(carrier) {
			for _, m := range strings.Split(v, ",") {
				k, _, _ := strings.Cut(m, "=")
				if protectedKey(strings.TrimSpace(k)) {
					parts = append(parts, carrier+" "+strings.TrimSpace(m))
				}
			}
		}
	}
	if len(parts) == 0 {
		return "no marker"
	}
	s := strings.Join(parts, "; ")
	s = reToken.ReplaceAllString(s, "<token>")
	return reNewID.ReplaceAllString(s, "<new-id>")
}

// protectedKey reports whether some common propagator reads k as a laneway key or Signadot's
// (filters/baggage's key normalisation).
func protectedKey(k string) bool {
	n := string(baggage.AppendNormalizedKey(nil, k))
	return strings.HasPrefix(n, "laneway-") || n == "sd-routing-key"
}

// TestSpoofingMatrix sends what an outside client could send to each filter
// configuration that guards a marker, and proves from the forwarded headers and
// local replies what gets through. The table is testdata/spoofing-matrix.md.
func TestSpoofingMatrix(t *testing.T) {
	rt := testenvtest.Runtime(t)
	wasm := map[string][]byte{}
	rows := append(append(tenantRows(), shadowRows()...), syntheticRows(t)...)
	seenRows := map[string]bool{}
	for _, row := range rows {
		k := row.marker + " | " + row.setup + " | " + row.client
		require.False(t, seenRows[k], "duplicate matrix row %q", k)
		seenRows[k] = true
	}
	fams := families(apphop.StartJS(t))
	var md strings.Builder
	md.WriteString("# What an outside client can and cannot do\n\n")
	md.WriteString("Generated by `TestSpoofingMatrix` (testenv/hardening) against the compiled modules in testenv\n")
	md.WriteString("(Envoy >= 1.39 and 1.33 profiles give the same table). Refresh with\n")
	md.WriteString("`REFRESH_GOLDEN=true go test -run TestSpoofingMatrix ./testenv/hardening/`.\n")
	md.WriteString("\"Forwarded\" lists every `x-laneway-*`, `ot-baggage-*` and `uberctx-*` header, a `-shadow` authority, and every\n")
	md.WriteString("baggage or tracestate member whose key any common propagator reads as a laneway key or `sd-routing-key`\n")
	md.WriteString("(see filters/baggage, \"Keys as other propagators read them\") that reached upstream.\n")
	md.WriteString("The Go, JS and Python columns say what the next app forwards when it is instrumented with that\n")
	md.WriteString("family's OpenTelemetry propagators (W3C trace context and baggage; Go and JS the real libraries, Python a\n")
	md.WriteString("model of opentelemetry-python, see filters/baggage/appread), then what the sidecar after the app decides from it\n")
	md.WriteString("(its outbound listener: tenantroute reading baggage and every carrier, shadowtag and synthetic outbound,\n")
	md.WriteString("for a POST to a service that is neither allow-listed nor a participant). Every client request carries a\n")
	md.WriteString("traceparent. A row blocked at a gateway stays blocked in every column.\n\n")
	md.WriteString("| marker | filter configuration | client sends | outcome | forwarded | next app: Go | next app: JS | next app: Python |\n")
	md.WriteString("|---|---|---|---|---|---|---|---|\n")
	type vmKey struct {
		p       string
		profile testenv.Profile
	}
	vms := map[vmKey]*testenv.VM{}
	next := map[string]map[testenv.Profile]*testenv.VM{}
	for marker, p := range nextSidecars {
		next[marker] = map[testenv.Profile]*testenv.VM{}
		for _, profile := range profiles {
			next[marker][profile] = load(t, rt, testenvtest.DistModule(t, p.module), p, profile)
		}
	}
	t.Run("app hop control", func(t *testing.T) { appHopControl(t, fams, next) })
	for _, row := range rows {
		if wasm[row.p.module] == nil {
			wasm[row.p.module] = testenvtest.DistModule(t, row.p.module)
		}
		var summary string
		var last result
		for _, profile := range profiles {
			k := vmKey{row.p.module + row.p.config + fmt.Sprint(row.p.props), profile}
			if vms[k] == nil {
				vms[k] = load(t, rt, wasm[row.p.module], row.p, profile)
			}
			vm := vms[k]
			t.Run(fmt.Sprintf("%s/%s/%s/%s", profile, row.marker, row.setup, row.client), func(t *testing.T) {
				r := send(vm, withTraceparent(row.req.Clone()))
				last = r
				require.NoError(t, vm.Err(), "the module must not trap")
				hasLocal := false
				for _, c := range row.checks {
					c.verify(t, r)
					hasLocal = hasLocal || c.what == "local"
				}
				if !hasLocal {
					assert.Nil(t, r.local, "no local reply")
					assert.Equal(t, testenv.ActionContinue, r.action)
				}
				s := forwardedSummary(r)
				if summary != "" {
					assert.Equal(t, summary, s, "both Envoy profiles forward the same")
				}
				summary = s
			})
		}
		var hop []string
		t.Run(fmt.Sprintf("app hop/%s/%s/%s", row.marker, row.setup, row.client), func(t *testing.T) {
			hop = appHop(t, row, last, fams, next[row.marker])
		})
		for i := range hop {
			hop[i] = reNewID.ReplaceAllString(reToken.ReplaceAllString(hop[i], "<token>"), "<new-id>")
		}
		cells := append([]string{summary}, hop...)
		for i := range cells {
			cells[i] = strings.ReplaceAll(cells[i], "|", `\|`)
		}
		fmt.Fprintf(&md, "| %s | %s | %s | %s | %s |\n", row.marker, row.setup, row.client, row.outcome, strings.Join(cells, " | "))
	}
	t.Log("\n" + md.String())
	golden := filepath.Join("testdata", "spoofing-matrix.md")
	if os.Getenv("REFRESH_GOLDEN") == "true" {
		require.NoError(t, os.WriteFile(golden, []byte(md.String()), 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err, "run with REFRESH_GOLDEN=true to create %s", golden)
	assert.Equal(t, string(want), md.String(), "the spoofing matrix changed: review, then refresh with REFRESH_GOLDEN=true")
}

func mintToken(secret, txid string, expiry time.Time) (string, error) {
	return synthetic.MintToken([]byte(secret), txid, expiry)
}
