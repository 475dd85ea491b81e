package costbench

import (
	"errors"

	"github.com/laneway/laneway/testenv"
)

// Exchange is one request kind the profiling commands (cmd/guestcalls, cmd/abcompare, cmd/instrcount) run,
// with the modules run on it.
type Exchange struct {
	// Name is the case's name: tenantroute-routed, tenantroute-baseline or all-roles.
	Name string
	// Request and Response are the exchange's headers.
	Request, Response testenv.Headers
	// Tenant is the x-laneway-tenant every module leaves on the request ("" for none).
	Tenant string
	// Modules are the contenders; a Module with a '-' in its name is a peer (cpp-*, c-*).
	Modules []ExchangeModule
}

// ExchangeModule is one module and plugin config run on an Exchange.
type ExchangeModule struct{ Name, Module, Config string }

// PeerRequest is the request of tenantroute's BenchmarkPeers (and of the v8host's peer-scenarios.json) with
// the given baggage value.
func PeerRequest(bag string) testenv.Headers {
	return testenv.RequestHeaders("GET", "svc-b.shop.svc.cluster.local:8080", "/api/orders/42",
		"user-agent", "Go-http-client/1.1", "accept", "application/json",
		"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
		"x-request-id", "7f1c2a9e-3b4d-4e5f-8a6b-9c0d1e2f3a4b", "baggage", bag)
}

// Exchanges are the request kinds the peer targets are set on: tenantroute routed and baseline (tenantroute
// and the C++ SDK peer) and combined.json's all-roles request (the combined module with all roles, with
// tenantroute only, tenantroute alone, and the C++ SDK peer).
func Exchanges() ([]Exchange, error) {
	resp := testenv.Headers{{Key: ":status", Value: "200"}, {Key: "content-type", Value: "application/json"}}
	trc := []ExchangeModule{{"tenantroute", "tenantroute", ""}, {"cpp-tenantroute", "cpp-tenantroute", "{}"}}
	s, err := Combined()
	if err != nil {
		return nil, err
	}
	tr, ok := s.Role("tenantroute")
	if !ok {
		return nil, errors.New("combined.json has no tenantroute stage")
	}
	c := s.Case(s.Combined)
	return []Exchange{
		{Name: "tenantroute-routed", Request: PeerRequest("userid=42,laneway-tenant=sbx-1"), Response: resp, Tenant: "sbx-1", Modules: trc},
		{Name: "tenantroute-baseline", Request: PeerRequest("userid=42"), Response: resp, Modules: trc},
		{Name: "all-roles", Request: c.Request, Response: c.Response, Tenant: s.Tenant, Modules: []ExchangeModule{
			{"combined", s.Combined.Module, string(s.Combined.Config)},
			{"combined-tenantroute", s.Combined.Module, `{"tenantroute":` + string(tr.Config) + `}`},
			{"tenantroute", tr.Module, string(tr.Config)},
			{"cpp-tenantroute", s.Peer, "{}"},
		}},
	}, nil
}
