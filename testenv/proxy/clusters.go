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

// parseClusters reads {name: upstream | [upstream, ...]}: names as Envoy spells clusters (visible ASCII, no
// blanks); a list is a cluster of several endpoints, chosen by consistent hash of the call's :authority
// (pickEndpoint).
func parseClusters(p string, v gjson.Result) (map[string][]string, error) {
	const wantName = "a cluster name of 1-256 visible ASCII characters without blanks, e.g. outbound|8080||collector.laneway.svc.cluster.local"
	if !v.IsObject() {
		return nil, cfgErr(p, pluginconfig.Describe(v), "an object of cluster names to host:port or listener:<name>, or a list of them")
	}
	out := map[string][]string{}
	var err error
	v.ForEach(func(k, val gjson.Result) bool {
		n := k.String()
		ok := n != "" && len(n) <= 256
		for i := 0; ok && i < len(n); i++ {
			ok = n[i] > 0x20 && n[i] < 0x7f
		}
		if !ok {
			err = cfgErr(p, pluginconfig.Describe(k), wantName)
			return false
		}
		if len(out) == MaxClusters {
			err = cfgErr(p, "more than 64 clusters", "at most 64")
			return false
		}
		if !val.IsArray() {
			var up string
			if up, err = upstream(p+"."+n, val); err != nil {
				return false
			}
			out[n] = []string{up}
			return true
		}
		items := val.Array()
		if len(items) == 0 || len(items) > MaxClusterEndpoints {
			err = cfgErr(p+"."+n, fmt.Sprintf("a list of %d endpoints", len(items)), fmt.Sprintf("1 to %d endpoints (host:port or listener:<name>)", MaxClusterEndpoints))
			return false
		}
		seen := map[string]bool{}
		for i, it := range items {
			var up string
			if up, err = upstream(fmt.Sprintf("%s.%s[%d]", p, n, i), it); err != nil {
				return false
			}
			if seen[up] {
				err = cfgErr(fmt.Sprintf("%s.%s[%d]", p, n, i), strconv.Quote(up), "an endpoint not listed before")
				return false
			}
			seen[up] = true
			out[n] = append(out[n], up)
		}
		return true
	})
	return out, err
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
