package proxy

import (
	"context"
	"fmt"
	"hash/fnv"
	"io"
	"strconv"
	"time"

	"github.com/laneway/laneway/filters/pluginconfig"
	"github.com/laneway/laneway/testenv"
	"github.com/laneway/laneway/testenv/configdoc"
	"github.com/tidwall/gjson"
)

// MaxClusters bounds the clusters section; MaxClusterEndpoints bounds one cluster's endpoints.
const (
	MaxClusters         = 64
	MaxClusterEndpoints = 16
)

// pumpInterval is how often a worker delivers asynchronous HTTP call replies and due ticks to its VMs
// (Envoy's dispatcher does both as events arrive; 5 ms is well under any tick period a filter asks for).
const pumpInterval = 5 * time.Millisecond

// Clusters are the upstreams filters reach with dispatch_http_call: Envoy cluster name to endpoints.
type Clusters map[string][]string

// clusterField is the config path of cluster n.
func clusterField(n string) string { return "clusters[" + strconv.Quote(n) + "]" }

// DecodeConfig reads {name: upstream | [upstream, ...]}: names as Envoy spells clusters (visible ASCII, no
// blanks); a list is a cluster of several endpoints, chosen by consistent hash of the call's :authority
// (pickEndpoint).
func (cs *Clusters) DecodeConfig(name, field string, v gjson.Result) error {
	if !v.IsObject() {
		return cfgErr(field, pluginconfig.Describe(v), "an object of cluster names to host:port or listener:<name>, or a list of them")
	}
	var raw map[string]endpoints
	if err := configdoc.Decode(name, field, v, &raw); err != nil {
		return err
	}
	if len(raw) > MaxClusters {
		return cfgErr(field, fmt.Sprintf("%d clusters", len(raw)), fmt.Sprintf("at most %d", MaxClusters))
	}
	out := Clusters{}
	for _, n := range sortedKeys(raw) {
		ok := n != "" && len(n) <= 256
		for i := 0; ok && i < len(n); i++ {
			ok = n[i] > 0x20 && n[i] < 0x7f
		}
		if !ok {
			return cfgErr(clusterField(n), strconv.Quote(n), "a cluster name of 1-256 visible ASCII characters without blanks, e.g. outbound|8080||collector.laneway.svc.cluster.local")
		}
		out[n] = raw[n]
	}
	*cs = out
	return nil
}

// endpoints is one cluster's endpoints: one upstream, or a list of 1 to MaxClusterEndpoints distinct ones.
type endpoints []string

// DecodeConfig reads a cluster's endpoints at field.
func (es *endpoints) DecodeConfig(name, field string, v gjson.Result) error {
	if !v.IsArray() {
		up := v.Str
		if v.Type != gjson.String {
			return cfgErr(field, pluginconfig.Describe(v), "host:port or listener:<name>, or a list of them")
		}
		if err := checkUpstream(field, up); err != nil {
			return err
		}
		*es = endpoints{up}
		return nil
	}
	var ups []string
	if err := configdoc.Decode(name, field, v, &ups); err != nil {
		return err
	}
	if len(ups) == 0 || len(ups) > MaxClusterEndpoints {
		return cfgErr(field, fmt.Sprintf("a list of %d endpoints", len(ups)), fmt.Sprintf("1 to %d endpoints (host:port or listener:<name>)", MaxClusterEndpoints))
	}
	for i, up := range ups {
		f := fmt.Sprintf("%s[%d]", field, i)
		if err := checkUpstream(f, up); err != nil {
			return err
		}
		for _, prev := range ups[:i] {
			if prev == up {
				return cfgErr(f, strconv.Quote(up), "an endpoint not listed before")
			}
		}
	}
	*es = ups
	return nil
}

// pickEndpoint chooses a cluster endpoint for a call by consistent hash of its :authority, as Envoy's
// RING_HASH or MAGLEV cluster does for dispatch_http_call (Envoy hashes those calls on :authority): the same
// authority always reaches the same endpoint, and removing an endpoint moves only the authorities it had.
// The hash is rendezvous (highest random weight): FNV-1a 64 of the authority, '|', and the endpoint, mixed
// by splitmix64's finalizer (FNV alone barely tells apart endpoints that differ in their last digit).
func pickEndpoint(endpoints []string, authority string) string {
	if len(endpoints) == 1 {
		return endpoints[0]
	}
	best, bestScore := endpoints[0], uint64(0)
	for _, e := range endpoints {
		h := fnv.New64a()
		_, _ = h.Write([]byte(authority))
		_, _ = h.Write([]byte{'|'})
		_, _ = h.Write([]byte(e))
		if score := mix64(h.Sum64()); score >= bestScore {
			best, bestScore = e, score
		}
	}
	return best
}

// clusterHandlers answer the filters' dispatch_http_call to the configured clusters with real HTTP
// requests, each on its own goroutine: the reply reaches the VM on a later pump, so no request waits for a
// call, as in Envoy. A call that cannot connect fails as a reset; one past its timeout gets Envoy's 504.
func (p *Proxy) clusterHandlers() map[string]testenv.AsyncHTTPCallHandler {
	if len(p.cfg.Clusters) == 0 {
		return nil
	}
	hs := map[string]testenv.AsyncHTTPCallHandler{}
	for name, ups := range p.cfg.Clusters {
		hs[name] = func(req testenv.HTTPCallRequest, reply func(testenv.HTTPCallResponse, error)) {
			up := pickEndpoint(ups, headerValue(req.Headers, ":authority"))
			p.calls.Add(1)
			go func() {
				defer p.calls.Done()
				reply(p.httpCall(up, req))
			}()
		}
	}
	return hs
}

func (p *Proxy) httpCall(up string, req testenv.HTTPCallRequest) (testenv.HTTPCallResponse, error) {
	timeout := time.Duration(req.TimeoutMS) * time.Millisecond
	if timeout <= 0 {
		timeout = p.cfg.UpstreamTimeout
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	hr, err := upstreamRequest(ctx, p.resolve(up), message{headers: req.Headers, body: req.Body})
	if err != nil {
		return testenv.HTTPCallResponse{}, err
	}
	resp, err := p.client.Do(hr)
	if err != nil {
		if ctx.Err() == context.DeadlineExceeded {
			return testenv.HTTPCallResponse{Headers: testenv.Headers{{Key: ":status", Value: "504"}}, Body: []byte("upstream request timeout")}, nil
		}
		return testenv.HTTPCallResponse{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, int64(p.cfg.MaxBodyBytes)+1))
	if err != nil {
		return testenv.HTTPCallResponse{}, err
	}
	return testenv.HTTPCallResponse{Headers: responseHeaders(resp, len(body)), Body: body}, nil
}

// pump runs until stop closes: it delivers call replies and fires each VM's tick when its period has passed.
func (p *Proxy) pump(stop <-chan struct{}) {
	t := time.NewTicker(pumpInterval)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case now := <-t.C:
			for _, w := range p.workers {
				w.mu.Lock()
				for _, chain := range w.chains {
					for _, s := range chain {
						if s.vm == nil || s.vm.Err() != nil {
							continue
						}
						s.vm.Poll()
						if period := s.vm.TickPeriod(); period > 0 && now.Sub(s.lastTick) >= period {
							s.lastTick = now
							s.vm.Tick()
						}
					}
				}
				w.mu.Unlock()
			}
		}
	}
}

// mix64 is splitmix64's finalizer: every input bit reaches every output bit.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

// headerValue returns the first value of key in h, or "".
func headerValue(h testenv.Headers, key string) string {
	for _, kv := range h {
		if kv.Key == key {
			return kv.Value
		}
	}
	return ""
}
