package combined

import (
	"github.com/laneway/laneway/filters/proxyhost"
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
	// role's edits applied to it in place); merged the verdict of all roles (the merged edits, Reroute ORed,
	// the first reply); keep the names a later role's trust-boundary strip must not remove.
	edited [][2]string
	view   [][2]string // the headers as the roles so far left them: the snapshot or edited
	merged proxyhost.Verdict
	keep   []string
	// reply is the local reply with AnsweredByHeader added to the answering role's headers (replyHeaders).
	reply        proxyhost.Reply
	replyHeaders [][2]string
	writer       proxyhost.Writer
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

// requestHeaders is the combined filter: one header read, the roles' decisions in order over that
// snapshot (each seeing the edits of the roles before it), one write of the merged edits, at most one
// clear_route_cache and at most one local reply.
func (p *plugin) requestHeaders(s *stream, endOfStream bool) types.Action {
	if !p.started {
		return types.ActionContinue
	}
	headers, err := proxyhost.RequestHeaders()
	if err != nil {
		if proxyhost.DebugEnabled() {
			proxywasm.LogDebug("laneway: cannot read request headers: " + err.Error())
		}
		return types.ActionContinue
	}
	if p.cfg.Synthetic == nil && p.cfg.Shadowtag == nil {
		// tenantroute alone: its verdict is written as it is, nothing to merge (what the tenantroute module does).
		v := p.tenant.decide(headers, nil)
		p.writer.Apply("laneway", headers, v)
		p.tenant.countDecision()
		return types.ActionContinue
	}
	own := s
	if !s.own {
		own = nil
	}
	p.view = headers
	p.merged.Reset()
	p.keep = p.keep[:0]
	var (
		rep                 *proxyhost.Reply
		by                  string // the role whose reply it is
		ranSy, ranSh, ranTe bool
	)
	if p.cfg.Synthetic != nil {
		ranSy = true
		v := p.synth.decide(p.view, own)
		rep, by = p.apply(v, KeySynthetic, p.cfg.Shadowtag != nil || p.cfg.Tenantroute != nil)
		if rep == nil && p.synth.vouches() {
			p.keep = append(p.keep, p.cfg.Synthetic.Header)
		}
	}
	if rep == nil && p.cfg.Shadowtag != nil {
		ranSh = true
		v := p.shadow.decide(p.view, own, endOfStream)
		rep, by = p.apply(v, KeyShadowtag, p.cfg.Tenantroute != nil)
	}
	if rep == nil && p.cfg.Tenantroute != nil {
		ranTe = true
		v := p.tenant.decide(p.view, p.keep)
		p.apply(v, KeyTenantroute, false)
	}
	if rep != nil {
		p.merged.Reply = p.answer(by, rep)
	}
	action := p.writer.Apply("laneway", headers, &p.merged)
	if rep == nil && p.writer.Err() != nil && ranSh && p.shadow.rerouted() {
		// Without the reroute header the shadow write would reach the real collaborator: suppress it instead.
		p.merged.Reply = p.answer(KeyShadowtag, p.shadow.suppress())
		action = p.writer.Apply("laneway", headers, &p.merged)
	}
	p.release()
	if ranSy {
		p.synth.countDecision()
	}
	if ranSh {
		p.shadow.countDecision()
	}
	if ranTe {
		p.tenant.countDecision()
	}
	return action
}

// apply merges one role's verdict: a reply is returned with the role's name (the roles after it do not run);
// otherwise its Reroute is ORed in and its edits join the merged edits. When more roles decide after it (more),
// the view they decide on gets its edits and the names it sets are kept from tenantroute's trust-boundary strip.
// The last role's edits build no view: no role reads one, it cost a copy of the headers per request, and its
// first allocations pushed the VM's heap into a second 512 KiB arena (linear memory 3328 -> 4096 KiB).
func (p *plugin) apply(v *proxyhost.Verdict, role string, more bool) (*proxyhost.Reply, string) {
	if v.Reply != nil {
		return v.Reply, role
	}
	p.merged.Reroute = p.merged.Reroute || v.Reroute
	if len(v.Edits) == 0 {
		return nil, ""
	}
	p.merged.Edits = append(p.merged.Edits, v.Edits...)
	if !more {
		return nil, ""
	}
	for _, e := range v.Edits {
		if e.Kind != proxyhost.Remove {
			p.keep = append(p.keep, e.Name)
		}
	}
	// The snapshot is copied once; after that p.view is edited itself, which AppendEdited allows.
	p.edited = proxyhost.AppendEdited(p.edited[:0], p.view, v.Edits)
	p.view = p.edited
	return nil, ""
}

// answer returns rep with AnsweredByHeader naming role, and its Detail prefixed with it for the debug log.
func (p *plugin) answer(role string, rep *proxyhost.Reply) *proxyhost.Reply {
	p.replyHeaders = append(append(p.replyHeaders[:0], rep.Headers...), [2]string{AnsweredByHeader, role})
	p.reply = proxyhost.Reply{Status: rep.Status, Headers: p.replyHeaders, Body: rep.Body}
	if proxyhost.DebugEnabled() {
		p.reply.Detail = "answered locally by " + role + ": " + rep.Detail
	}
	return &p.reply
}

// release drops the request's strings from the reused view and edits, and a flood's oversized storage.
func (p *plugin) release() {
	clear(p.edited)
	if cap(p.edited) > maxKeptPairs {
		p.edited = nil
	}
	p.view = nil
	clear(p.merged.Edits)
	clear(p.keep)
	clear(p.replyHeaders)
}
