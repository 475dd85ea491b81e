package costbench

import (
	_ "embed"
	"encoding/json"
	"fmt"

	"github.com/laneway/laneway/testenv"
)

// combinedJSON is the exchange the combined module is measured on, shared with v8peers.js so that both
// engines run the very same request and configs.
//
//go:embed combined.json
var combinedJSON []byte

// CombinedScenario is one request that exercises every role of the combined laneway module, with the
// configs that make the combined module and the three separate modules do the same work on it.
type CombinedScenario struct {
	// Name labels the exchange in benchmark names.
	Name string `json:"name"`
	// Request and Response are the headers of the exchange, in order.
	Request  [][2]string `json:"request"`
	Response [][2]string `json:"response"`
	// Combined is the combined module with all three roles configured.
	Combined Stage `json:"combined"`
	// Separate are the three separate modules, in the combined module's role order: as one filter chain
	// they do what Combined does.
	Separate []Stage `json:"separate"`
	// Peer is the C++ SDK peer the combined module is compared with (tenantroute's common path).
	Peer string `json:"peer"`
	// Tenant is the x-laneway-tenant every contender must leave on the request.
	Tenant string `json:"tenant"`
	// RouteCacheClears is how many clear_route_cache calls the whole exchange makes (combined: at most one).
	RouteCacheClears int `json:"routeCacheClears"`
}

// Stage is one module of the scenario with its plugin configuration and the counters one stream raises by one.
type Stage struct {
	Module   string          `json:"module"`
	Config   json.RawMessage `json:"config"`
	Counters []string        `json:"counters"`
}

// Combined returns the scenario of combined.json; an error if the file does not hold one.
func Combined() (CombinedScenario, error) {
	var s CombinedScenario
	if err := json.Unmarshal(combinedJSON, &s); err != nil {
		return s, fmt.Errorf("testenv/costbench/combined.json: %w", err)
	}
	if s.Name == "" || len(s.Request) == 0 || s.Combined.Module == "" || len(s.Separate) == 0 {
		return s, fmt.Errorf("testenv/costbench/combined.json: expected name, request, combined and separate, got %+v", s)
	}
	return s, nil
}

// Case is the exchange as a Case for module m with plugin configuration cfg.
func (s CombinedScenario) Case(m Stage) Case {
	return Case{Module: m.Module, PluginConfig: string(m.Config), Request: testenv.HeadersOf(s.Request), Response: testenv.HeadersOf(s.Response)}
}

// Role returns the separate module named module, and whether the scenario has it.
func (s CombinedScenario) Role(module string) (Stage, bool) {
	for _, m := range s.Separate {
		if m.Module == module {
			return m, true
		}
	}
	return Stage{}, false
}

// Counters is every counter the combined module must raise by one per stream: the separate modules' together.
func (s CombinedScenario) Counters() []string {
	var out []string
	for _, m := range s.Separate {
		out = append(out, m.Counters...)
	}
	return out
}
