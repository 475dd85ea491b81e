package combined

import (
	"github.com/laneway/laneway/filters/baggage"
	"github.com/laneway/laneway/filters/headerscan"
	"github.com/laneway/laneway/filters/proxyhost"
	"github.com/laneway/laneway/shadowtag"
	"github.com/laneway/laneway/synthetic"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"
)

// AnsweredByHeader names, on a local reply, the role that answered (synthetic or shadowtag): the first role
// that refuses a request wins and the roles after it do not run.
const AnsweredByHeader = "x-laneway-answered-by"

// maxKeptPairs bounds the capacity of the edited header view kept between requests.
const maxKeptPairs = 512

// NewVMContext returns the VM context the laneway module's main registers.
func NewVMContext() types.VMContext { return &vmContext{} }

type vmContext struct{ types.DefaultVMContext }

// NewPluginContext implements types.VMContext.
func (*vmContext) NewPluginContext(uint32) types.PluginContext {
	p := &plugin{}
	p.shared.p = p
	return p
}

// plugin is one plugin (root) context: the roles that are on and the per-request scratch they share.
type plugin struct {
	types.DefaultPluginContext
	cfg     Config
	started bool
	synth   synthRole
	shadow  shadowRole
	tenant  tenantRole
	// shared is the one HTTP context every stream uses when no role keeps per-stream state.
	shared stream
	// perStream: some role keeps state from request to response or body (synthetic's ack, shadowtag's
	// JSON body redaction), so each stream gets a context of its own, reused after Envoy deleted it.
	perStream bool
	free      []*stream
	// edited holds the header map as the roles so far edited it (one reused copy of the snapshot, a later
	// role's edits applied to it in place); merged the verdict of two or more roles that asked for something
	// (their edits in order, Reroute ORed); keep the names a later role's trust-boundary strip must not remove.
	edited [][2]string
	merged proxyhost.Verdict
	keep   []string
	// reply is the local reply with AnsweredByHeader added to the answering role's headers (replyHeaders);
	// replied is the verdict that sends it.
	reply        proxyhost.Reply
	replyHeaders [][2]string
	replied      proxyhost.Verdict
	writer       proxyhost.Writer
	// sieve looks for synthetic's and shadowtag's baggage keys in one pass (see OnHttpRequestHeaders).
	sieve baggage.Sieve
	// lone is all ones when exactly one of synthetic and shadowtag is on, else zero (see OnHttpRequestHeaders).
	lone uint64
	// byLengths: every role of synthetic and shadowtag that is on has a resolved mode in which its QuietOn is the
	// lengths-and-key test (their QuietByLengths), so OnHttpRequestHeaders makes that test itself. heldSy and heldSh
	// are the sieve's bits of the roles that are on (baggage.SieveA, SieveB; 0 for a role that is off: with one key
	// sieved, both bits stand for it). resolving: some role's mode is still to be resolved (setByLengths then runs
	// again after each request).
	byLengths, resolving bool
	heldSy, heldSh       int
}

// setByLengths sets byLengths, heldSy, heldSh and resolving from the roles' configurations and modes.
func (p *plugin) setByLengths() {
	sy := p.cfg.Synthetic == nil || !p.synth.unresolved && p.synth.cfg.QuietByLengths()
	sh := p.cfg.Shadowtag == nil || p.shadow.mode != 0 && p.shadow.cfg.QuietByLengths(p.shadow.mode)
	p.byLengths = sy && sh
	p.resolving = p.cfg.Synthetic != nil && p.synth.unresolved || p.cfg.Shadowtag != nil && p.shadow.mode == 0 && !p.shadow.tried
	p.heldSy, p.heldSh = 0, 0
	if p.cfg.Synthetic != nil {
		p.heldSy = baggage.SieveA
	}
	if p.cfg.Shadowtag != nil {
		p.heldSh = baggage.SieveB
	}
}

// OnPluginStart implements types.PluginContext: parse and validate the configuration, start each role
// that is on (its counters, its start-up log line).
func (p *plugin) OnPluginStart(int) types.OnPluginStartStatus {
	data, err := proxyhost.ReadPluginConfig()
	if err != nil {
		proxywasm.LogCritical("laneway: cannot read plugin configuration: " + err.Error())
		return types.OnPluginStartStatusFailed
	}
	cfg, err := ParseConfig(data)
	if err != nil {
		proxywasm.LogCritical("laneway: plugin not started: " + err.Error())
		return types.OnPluginStartStatusFailed
	}
	p.cfg = cfg
	p.synth = synthRole{cfg: cfg.Synthetic}
	p.shadow = shadowRole{cfg: cfg.Shadowtag}
	p.tenant = tenantRole{cfg: cfg.Tenantroute}
	proxywasm.LogInfo(cfg.Summary())
	if cfg.Synthetic != nil {
		p.synth.start()
	}
	if cfg.Shadowtag != nil {
		p.shadow.start()
	}
	if cfg.Tenantroute != nil {
		p.tenant.start()
	}
	// The sieve looks only for the keys of the roles that may be quiet: one key is sieved alone (its last run,
	// rarer than the shared "-s", and one MayHoldKeys where it occurs).
	synthKey, shadowKey := shadowtag.MarkerBaggageKey, shadowtag.MarkerBaggageKey
	if cfg.Synthetic != nil {
		synthKey = cfg.Synthetic.BaggageKey
		if cfg.Shadowtag == nil || cfg.Shadowtag.ShadowWorkload || p.shadow.mode == shadowtag.ModeWaypoint {
			shadowKey = synthKey
		}
	}
	p.sieve = baggage.NewSieve(synthKey, shadowKey)
	if (cfg.Synthetic == nil) != (cfg.Shadowtag == nil) {
		p.lone = ^uint64(0)
	}
	p.setByLengths()
	p.perStream = cfg.Synthetic != nil && cfg.Synthetic.AckRequired ||
		cfg.Shadowtag != nil && len(cfg.Shadowtag.Redact.JSONFields) > 0
	if p.perStream {
		// In the Wasm build deleted stream contexts come back through proxyhost and are reused (see
		// releaseStream). Registered only when needed: a plugin whose streams share one context pays no call
		// per deleted stream. (The hook serves every plugin of the VM and is never unregistered.)
		proxyhost.OnHTTPContextDeleted(releaseStream)
	}
	p.started = true
	return types.OnPluginStartStatusOK
}

// NewHttpContext implements types.PluginContext: the shared context, or a stream's own when a role keeps
// per-stream state (reused from the free list in the steady state).
func (p *plugin) NewHttpContext(uint32) types.HttpContext {
	if !p.perStream {
		// The shared context waits for no acknowledgement: its OnHttpResponseHeaders would only pass.
		proxyhost.SkipResponseHeaders()
		return &p.shared
	}
	if n := len(p.free); n > 0 {
		s := p.free[n-1]
		p.free[n-1] = nil
		p.free = p.free[:n-1]
		return s
	}
	return &stream{p: p, own: true}
}

// OnHttpRequestHeaders implements types.HttpContext; it is the combined filter: one header read, the roles'
// decisions in order over that snapshot (each seeing the edits of the roles before it), one write of the
// merged edits, at most one clear_route_cache and at most one local reply. (A plugin method it called cost a
// call per request.)
//
// One pass over the header names (a headerscan summary, made by the glue as it reads the pairs) and one over the
// baggage (baggage.Sieve) tell synthetic and shadowtag whether the request can hold anything they act on: a marker
// header's length, a carrier, a mention of their baggage keys, a -shadow authority. A role that cannot is not run:
// its decision is its pass without edits and without a reply (the roles' QuietOn, each held to its Decide by a fuzz
// target, and the whole filter to the roles run in order by FuzzCombinedIsTheRolesInOrder). Shadowtag is asked only
// when synthetic is quiet: a synthetic that is not nearly always edits the headers (or answers), and shadowtag then
// decides on the edited ones anyway. So the cheap question is asked first: a request holding a name of a length that
// alone makes synthetic not quiet (its loud bits), or shadowtag when it is on without synthetic (p.lone), is decided
// in order at once, without the sieve or the quiet checks. (Asking it for shadowtag with both on cost the common
// request more than it saved.) Where both roles' QuietOn is the lengths-and-key test (their QuietByLengths: the
// outbound sidecar), that test is made here, without their calls. (The body keeps the line offsets of its calls:
// profile-guided inlining finds a call site by its line within the function.) When both pass so, tenantroute decides
// over the same snapshot and its verdict is written as it is; otherwise decideInOrder merges the roles' verdicts.
func (s *stream) OnHttpRequestHeaders(_ int, endOfStream bool) types.Action {
	p := s.p
	if s.own {
		// Only a stream's own context holds a body redaction (the shared one never starts one).
		s.body.Clear()
	}
	if !p.started {
		return types.ActionContinue
	}
	if p.cfg.Synthetic == nil && p.cfg.Shadowtag == nil {
		// tenantroute alone: its verdict is written as it is, nothing to merge (what the tenantroute module does).
		return p.tenantAlone()
	}
	// The glue summarises the names as it reads the pairs (headerscan.Scan's summary, one pass).
	var sum headerscan.Summary
	headers, err := proxyhost.RequestHeadersScanned(&sum)
	if err != nil {
		p.readFailed(err)
		return types.ActionContinue
	}
	var bagBuf [4]string
	bags, held := []string(nil), 0 // held: the keys some member may hold (baggage.SieveA: synthetic's, SieveB: shadowtag's)
	if sum.Lengths&(p.synth.loud|p.shadow.loud&p.lone) != 0 {
		return p.decideInOrder(s, headers, endOfStream, p.cfg.Synthetic == nil, p.cfg.Shadowtag == nil, &sum, sum.Baggage(headers, bagBuf[:0]))
	}
	if sum.HasBaggage() {
		bags = sum.Baggage(headers, bagBuf[:0])
		held = p.sieve.MayHold(bags)
	}
	var quietSy, quietSh bool
	if p.byLengths {
		// The roles' QuietOn, as QuietByLengths says it is (synthetic's loud bits were tested above).
		quietSy = held&p.heldSy == 0
		quietSh = quietSy && held&p.heldSh == 0 && sum.Lengths&p.shadow.loud == 0 // 0 when shadowtag is off
	} else {
		quietSy = p.cfg.Synthetic == nil || p.synth.quietOn(headers, &sum, held&baggage.SieveA != 0)
		quietSh = p.cfg.Shadowtag == nil || quietSy && p.shadow.quietOn(headers, &sum, held&baggage.SieveB != 0)
		if p.resolving {
			p.setByLengths()
		}
	}
	if !quietSy || !quietSh {
		return p.decideInOrder(s, headers, endOfStream, quietSy, quietSh, &sum, bags)
	}
	// Neither synthetic nor shadowtag has anything to do: synthetic counts nothing (an unmarked request),
	// shadowtag counts a pass, and tenantroute's verdict is written as it is.
	action := types.ActionContinue
	if p.cfg.Tenantroute != nil {
		r := &p.tenant
		r.cfg.DecideOn(headers, &sum, bags, &r.d)
		action = p.writer.Apply("laneway", headers, &r.d.Verdict)
	}
	if p.cfg.Shadowtag != nil {
		p.shadow.countPassed()
	}
	if p.cfg.Tenantroute != nil {
		p.tenant.countDecision()
	}
	return action
}

// tenantAlone is OnHttpRequestHeaders for a plugin with tenantroute alone.
func (p *plugin) tenantAlone() types.Action {
	headers, err := proxyhost.RequestHeaders()
	if err != nil {
		p.readFailed(err)
		return types.ActionContinue
	}
	v := p.tenant.decide(headers)
	p.writer.Apply("laneway", headers, v)
	p.tenant.countDecision()
	return types.ActionContinue
}

// readFailed debug-logs a failed read of the request headers (the request then passes untouched).
func (p *plugin) readFailed(err error) {
	if proxyhost.DebugEnabled() {
		proxywasm.LogDebug("laneway: cannot read request headers: " + err.Error())
	}
}

// decideInOrder is OnHttpRequestHeaders for a request synthetic or shadowtag has something to do with: the roles
// decide in order, each over the headers as the roles before it left them, and their verdicts are merged. A role
// the summary sum found quiet (quietSy, quietSh) is not run while the headers are still the snapshot sum
// describes. Kept out of line, so that the common request's path stays small: inlined, these rarer steps made the
// filter's function large enough that every call in it spilled more of its locals.
//
//go:noinline
func (p *plugin) decideInOrder(s *stream, headers [][2]string, endOfStream, quietSy, quietSh bool, sum *headerscan.Summary, bags []string) types.Action {
	own := s
	if !s.own {
		own = nil
	}
	// m is on the stack: tracking the verdict to write and the view there costs no write barrier.
	m := merge{view: headers}
	var (
		rep                 *proxyhost.Reply
		by                  string // the role whose reply it is (set with rep, read only when rep is set)
		ranSy, ranSh, ranTe bool
		passedSh            bool // shadowtag passed the request on the summary alone: counted as passed
	)
	// Each role's decision is called from here, not through a wrapper of its role: a call passing the headers
	// costs about a hundred Wasm instructions, and the wrappers are too large to inline. What a decision rarely
	// needs (host facts, a stream's state, debug logs) is its role's finish.
	if p.cfg.Synthetic != nil && !quietSy {
		ranSy = true
		r, d := &p.synth, &synthDecision
		if r.unresolved {
			r.resolve() // quietOn resolves it, but the loud path does not ask quietOn
		}
		synthFacts.Have = 0
		r.cfg.Decide(m.view, &synthFacts, d)
		if d.Need != 0 || d.AwaitAck || d.Action != synthetic.ActionNone {
			r.finish(m.view, own)
		}
		rep, by = p.apply(&m, &d.Verdict, p.cfg.Shadowtag != nil || p.cfg.Tenantroute != nil), KeySynthetic
		if rep == nil && d.Synthetic() {
			// Its marker header is one synthetic checked (or set): a later role's trust-boundary strip keeps it.
			p.keep = append(p.keep, p.cfg.Synthetic.Header)
		}
	}
	if rep == nil && p.cfg.Shadowtag != nil && quietSh && !m.edited {
		// The summary still describes the headers shadowtag would decide on.
		passedSh = true
	} else if rep == nil && p.cfg.Shadowtag != nil {
		ranSh = true
		r := &p.shadow
		if r.mode == 0 || r.mode == shadowtag.ModeWaypoint {
			r.decideWith(m.view, endOfStream)
		} else {
			r.cfg.Decide(m.view, shadowtag.Facts{Mode: r.mode, EndOfStream: endOfStream}, &r.d)
		}
		if own != nil || r.d.Shadow {
			r.finish(own)
		}
		rep, by = p.apply(&m, &r.d.Verdict, p.cfg.Tenantroute != nil), KeyShadowtag
	}
	if rep == nil && p.cfg.Tenantroute != nil {
		ranTe = true
		r := &p.tenant
		if m.edited {
			r.cfg.Decide(m.view, &r.d)
		} else {
			// No role before it edited the headers: the summary still describes them.
			r.cfg.DecideOn(m.view, sum, bags, &r.d)
		}
		if len(p.keep) > 0 && r.cfg.TrustBoundary {
			r.spare(p.keep)
		}
		p.apply(&m, &r.d.Verdict, false)
	}
	action := types.ActionContinue
	if rep != nil {
		action = p.writer.Apply("laneway", headers, p.answer(by, rep))
	} else if m.out != nil {
		// Nothing to write (no edit, no reroute) calls nothing: the writer would do nothing with it.
		action = p.writer.Apply("laneway", headers, m.out)
		if p.writer.Err() != nil && ranSh && p.shadow.rerouted() {
			// Without the reroute header the shadow write would reach the real collaborator: suppress it instead.
			action = p.writer.Apply("laneway", headers, p.answer(KeyShadowtag, p.shadow.suppress()))
		}
	}
	p.release(&m)
	if ranSy && synthDecision.Counts() {
		// An unmarked request counts nothing: no call.
		p.synth.countDecision()
	}
	if ranSh {
		p.shadow.countDecision()
	} else if passedSh {
		p.shadow.countPassed()
	}
	if ranTe {
		p.tenant.countDecision()
	}
	if p.resolving {
		p.setByLengths()
	}
	return action
}

// merge is one request's merge state: the verdict to write and the headers as the roles so far left them.
type merge struct {
	// out is nil while no role asked for anything, then the one role's own verdict, written as it is (no copy
	// of its edits), then p.merged once a second role asks for something.
	out    *proxyhost.Verdict
	view   [][2]string // the snapshot, or p.edited once a role before the last edited it
	edited bool        // view is p.edited
}

// apply merges one role's verdict into m: a reply is returned (the roles after it do not run); a verdict that
// asks for something goes to add. Small enough to inline: most roles ask for nothing.
func (p *plugin) apply(m *merge, v *proxyhost.Verdict, more bool) *proxyhost.Reply {
	if v.Reply == nil && (len(v.Edits) != 0 || v.Reroute) {
		p.add(m, v, more)
	}
	return v.Reply
}

// add merges a verdict that asks for something: its Reroute is ORed in and its edits join the merged edits.
// When more roles decide after it (more), the view they decide on gets its edits and the names it sets are
// kept from tenantroute's trust-boundary strip. The last role's edits build no view: no role reads one, it
// cost a copy of the headers per request, and its first allocations pushed the VM's heap into a second
// 512 KiB arena (linear memory 3328 -> 4096 KiB).
func (p *plugin) add(m *merge, v *proxyhost.Verdict, more bool) {
	switch {
	case m.out == nil:
		m.out = v
	case m.out != &p.merged:
		// A second role asks for something: the first one's verdict is copied into the merged one.
		p.merged.Edits = append(append(p.merged.Edits[:0], m.out.Edits...), v.Edits...)
		p.merged.Reroute = m.out.Reroute || v.Reroute
		m.out = &p.merged
	default:
		p.merged.Edits = append(p.merged.Edits, v.Edits...)
		p.merged.Reroute = p.merged.Reroute || v.Reroute
	}
	if !more || len(v.Edits) == 0 {
		return
	}
	for i := range v.Edits {
		if e := &v.Edits[i]; e.Kind != proxyhost.Remove {
			p.keep = append(p.keep, e.Name)
		}
	}
	// The snapshot is copied once; after that p.edited is edited itself, which AppendEdited allows.
	p.edited = proxyhost.AppendEdited(p.edited[:0], m.view, v.Edits)
	m.view, m.edited = p.edited, true
}

// answer returns, as a verdict to write, rep with AnsweredByHeader naming role, and its Detail prefixed
// with it for the debug log.
func (p *plugin) answer(role string, rep *proxyhost.Reply) *proxyhost.Verdict {
	p.replyHeaders = append(append(p.replyHeaders[:0], rep.Headers...), [2]string{AnsweredByHeader, role})
	p.reply = proxyhost.Reply{Status: rep.Status, Headers: p.replyHeaders, Body: rep.Body}
	if proxyhost.DebugEnabled() {
		p.reply.Detail = "answered locally by " + role + ": " + rep.Detail
	}
	p.replied.Reply = &p.reply
	return &p.replied
}

// release drops the request's strings from the reused view, edits, kept names and reply, and a flood's
// oversized storage; what the request did not use is left alone (it is empty already).
func (p *plugin) release(m *merge) {
	if len(p.edited) > 0 {
		clear(p.edited)
		p.edited = p.edited[:0]
		if cap(p.edited) > maxKeptPairs {
			p.edited = nil
		}
	}
	if m.out == &p.merged {
		clear(p.merged.Edits)
		p.merged.Edits = p.merged.Edits[:0]
	}
	if len(p.keep) > 0 {
		clear(p.keep)
		p.keep = p.keep[:0]
	}
	if len(p.replyHeaders) > 0 {
		clear(p.replyHeaders)
		p.replyHeaders = p.replyHeaders[:0]
	}
}
