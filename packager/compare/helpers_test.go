package compare

import (
	"fmt"
	"math/rand/v2"

	"github.com/tidwall/gjson"
	"time"
)

// clock is a settable clock for retention tests (no sleeps).
type clock struct{ t time.Time }

func newClock() *clock                   { return &clock{t: time.Unix(1_733_550_000, 0)} }
func (c *clock) Now() time.Time          { return c.t }
func (c *clock) Advance(d time.Duration) { c.t = c.t.Add(d) }

// capture returns a JSON GET /orders/42 response capture for id and role.
func capture(id string, role Role, body string) Capture {
	return Capture{ID: id, Role: role, Service: "orders", Method: "GET", Path: "/orders/42?verbose=1", Status: 200,
		Headers: map[string]string{"content-type": "application/json"}, Body: []byte(body), BodyBytes: int64(len(body))}
}

// orderBody is the demo's order response: total is the field a candidate may change, at and
// trace are noise (a timestamp and a random id that differ in every response).
func orderBody(rng *rand.Rand, total string) string {
	return fmt.Sprintf(`{"id":42,"total":%s,"currency":"EUR","at":"2024-12-07T05:40:%02d.%03dZ","trace":"%016x","items":[{"sku":"a","qty":1},{"sku":"b","qty":2}]}`,
		total, rng.IntN(60), rng.IntN(1000), rng.Uint64())
}

// plantedTraffic returns n requests' captures in all three roles: the candidate computes
// total differently (planted), and every response has its own timestamp and trace id (noise).
func plantedTraffic(n int, seed uint64) []Capture {
	rng := rand.New(rand.NewPCG(seed, 1))
	var out []Capture
	for i := range n {
		id := fmt.Sprintf("req-%d-%d", seed, i)
		out = append(out, capture(id, Primary, orderBody(rng, "10.5")), capture(id, Secondary, orderBody(rng, "10.5")),
			capture(id, Candidate, orderBody(rng, "10.50001")))
	}
	return out
}

func gjsonGet(doc, path string) string { return gjson.Get(doc, path).Raw }
