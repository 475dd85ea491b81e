package combined

import (
	"errors"

	"github.com/laneway/laneway/filters/proxyhost"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"
)

// maxEditCalls bounds the host calls spent on single-header edits; a request needing more gets its whole
// header map written back in one set_header_map_pairs call (when Envoy accepts a map that large).
const maxEditCalls = 8

// AnsweredByHeader names, on a local reply, the role that answered (synthetic or shadowtag): the first role
// that refuses a request wins and the roles after it do not run.
const AnsweredByHeader = "x-laneway-answered-by"

// maxKeptPairs bounds the capacity of the header views kept between requests.
const maxKeptPairs = 512

// NewVMContext returns the VM context the laneway module's main registers.
func NewVMContext() types.VMContext { return &vmContext{} }

type vmContext struct{ types.DefaultVMContext }

// NewPluginContext implements types.VMContext. In the Wasm build deleted stream contexts come back through
// proxyhost and are reused (see releaseStream).
func (*vmContext) NewPluginContext(uint32) types.PluginContext {
	proxyhost.OnHTTPContextDeleted(releaseStream)
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
	// views holds the header maps as the roles so far edited them (two, alternating); edits the merged
	// edits; keep the names a later role's trust-boundary strip must not remove.
	views [2][][2]string
	view  [][2]string // the headers as the roles so far left them: the snapshot or one of views
	cur   int         // the view the next role's edits are applied into
	edits []proxyhost.Edit
	keep  []string
	// replyHeaders holds a local reply's headers with AnsweredByHeader, reused.
	replyHeaders [][2]string
	// noClearRouteCache remembers that the host lacks clear_route_cache, so it is not asked again.
	noClearRouteCache bool
}

// OnPluginStart implements types.PluginContext: parse and validate the configuration, start each role
// that is on (its counters, its start-up log line).
func (p *plugin) OnPluginStart(int) types.OnPluginStartStatus {
	data, err := proxywasm.GetPluginConfiguration()
	if err != nil && !errors.Is(err, types.ErrorStatusNotFound) {
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
	own := s
	if !s.own {
		own = nil
	}
	p.view, p.cur = headers, 0
	p.edits, p.keep = p.edits[:0], p.keep[:0]
	var (
		rep                 *reply
		by                  string // the role whose reply it is
		reroute             bool
		ranSy, ranSh, ranTe bool
	)
	if p.cfg.Synthetic != nil {
		ranSy = true
		v := p.synth.decide(p.view, own)
		rep, reroute, by = v.reply, v.reroute, KeySynthetic
		p.apply(v.edits)
		if rep == nil && p.synth.vouches() {
			p.keep = append(p.keep, p.cfg.Synthetic.Header)
		}
	}
	if rep == nil && p.cfg.Shadowtag != nil {
		ranSh = true
		v := p.shadow.decide(p.view, own, endOfStream)
		rep, reroute, by = v.reply, reroute || v.reroute, KeyShadowtag
		p.apply(v.edits)
	}
	if rep == nil && p.cfg.Tenantroute != nil {
		ranTe = true
		v := p.tenant.decide(p.view, p.keep)
		reroute = reroute || v.reroute
		p.apply(v.edits)
	}
	view := p.view
	if rep == nil && len(p.edits) > 0 {
		changed, err := p.write(view)
		if err != nil {
			if proxyhost.DebugEnabled() {
				proxywasm.LogDebug("laneway: editing request headers: " + err.Error())
			}
			if ranSh && p.shadow.rerouted() {
				// Without the reroute header the shadow write would reach the real collaborator.
				rep, by = p.shadow.suppression(), KeyShadowtag
			}
		}
		if rep == nil && reroute && changed {
			p.clearRouteCache()
		}
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
	if rep != nil {
		return p.sendReply(by, rep)
	}
	return types.ActionContinue
}

// apply adds one role's edits to the merged edits and to the view the next role decides on; the names it
// sets are kept from a later role's trust-boundary strip.
func (p *plugin) apply(edits []proxyhost.Edit) {
	if len(edits) == 0 {
		return
	}
	p.edits = append(p.edits, edits...)
	for _, e := range edits {
		if e.Kind != proxyhost.Remove {
			p.keep = append(p.keep, e.Name)
		}
	}
	p.views[p.cur] = appendEdited(p.views[p.cur][:0], p.view, edits)
	p.view, p.cur = p.views[p.cur], p.cur^1
}

// write makes the request headers become edited (the snapshot with the merged edits applied): edit by
// edit when they are few, else in one set_header_map_pairs call.
func (p *plugin) write(edited [][2]string) (bool, error) {
	if len(p.edits) > maxEditCalls {
		return proxyhost.WriteRequestHeaders(edited, p.edits)
	}
	return proxyhost.EditRequestHeaders(p.edits)
}

// release drops the request's strings from the reused views and edits, and a flood's oversized storage.
func (p *plugin) release() {
	for i := range p.views {
		clear(p.views[i])
		if cap(p.views[i]) > maxKeptPairs {
			p.views[i] = nil
		}
	}
	p.view = nil
	clear(p.edits)
	clear(p.keep)
}

// sendReply answers the request locally; it never continues, even if the reply fails.
func (p *plugin) sendReply(role string, rep *reply) types.Action {
	p.replyHeaders = append(append(p.replyHeaders[:0], rep.headers...), [2]string{AnsweredByHeader, role})
	err := proxywasm.SendHttpResponse(rep.status, p.replyHeaders, rep.body, -1)
	clear(p.replyHeaders)
	if err != nil && proxyhost.DebugEnabled() {
		proxywasm.LogDebug("laneway: local response failed: " + err.Error())
	}
	if proxyhost.DebugEnabled() {
		proxywasm.LogDebug("laneway: answered locally by " + role + ": " + rep.detail)
	}
	return types.ActionPause
}

// clearRouteCache asks Envoy (>= 1.33) to select the route again; a host without the foreign function is
// remembered and not asked again (ABI 0.2.x header edits clear the route cache anyway).
func (p *plugin) clearRouteCache() {
	if p.noClearRouteCache {
		return
	}
	if err := proxyhost.ClearRouteCache(); err != nil {
		p.noClearRouteCache = true
		if proxyhost.DebugEnabled() {
			proxywasm.LogDebug("laneway: host has no " + proxyhost.ClearRouteCacheFunction + " foreign function (" + err.Error() + "); relying on header edits to re-route")
		}
	}
}
