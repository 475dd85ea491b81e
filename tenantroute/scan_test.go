package tenantroute

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// onlyBaggageConfigs are sidecar configurations that take scan's onlyBaggage loop, with output headers of
// baggage's length, shorter and longer.
var onlyBaggageConfigs = []string{
	"",
	`{"tenantHeader":"x-sbx-7"}`,
	`{"tenantHeader":"t"}`,
	`{"tenantHeader":"Bag-Age","baggageKeys":["k"]}`,
	`{"allow":["acme"],"workloadTenant":"acme"}`,
}

// requireScansAgree holds scan's onlyBaggage loop (which skips by name length and ':' before comparing) to
// the general loop, which it must equal when every other carrier is off.
func requireScansAgree(t *testing.T, c *Config, headers [][2]string) {
	t.Helper()
	require.True(t, c.onlyBaggage)
	general := *c
	general.onlyBaggage = false
	var fast, slow Decision
	fast.reset()
	slow.reset()
	c.scan(headers, &fast)
	general.scan(headers, &slow)
	require.Equal(t, slow.bag, fast.bag, "baggage values")
	require.Equal(t, slow.tenantCount, fast.tenantCount, "output header copies")
	require.Equal(t, slow.tenantFirst, fast.tenantFirst, "first output header")
	require.Equal(t, slow.Edits, fast.Edits)
}

func TestOnlyBaggageScanIsTheGeneralScan(t *testing.T) {
	names := []string{"baggage", "BAGGAGE", "bAgGaGe", ":method", ":scheme", ":bagga", "baggag", "baggages", "x-sbx-7",
		"X-SBX-7", "t", "T", "bag-age", "x-laneway-tenant", "X-Laneway-Tenant", "x-laneway-tenan", "", ":", "tracestate", "accept"}
	for _, js := range onlyBaggageConfigs {
		c := mustConfig(t, js)
		for _, a := range names {
			for _, b := range names {
				requireScansAgree(t, c, [][2]string{{a, "1"}, {b, "2"}, {a, "3"}, {":path", "/"}, {b, "4"}})
			}
		}
	}
}

func FuzzOnlyBaggageScanIsTheGeneralScan(f *testing.F) {
	for _, s := range []string{"baggage:a=1\n:method:GET\nx-laneway-tenant:x\nBaggage:b=2", ":scheme:http\nx-sbx-7:y\nt:z",
		strings.Repeat("bAgGaGe:v\nX-LANEWAY-TENANT:w\n", 3), "\n\n:::\x00\xff"} {
		for i := range onlyBaggageConfigs {
			f.Add(uint8(i), s)
		}
	}
	configs := make([]*Config, len(onlyBaggageConfigs))
	for i, js := range onlyBaggageConfigs {
		configs[i] = mustConfig(f, js)
	}
	f.Fuzz(func(t *testing.T, which uint8, data string) {
		requireScansAgree(t, configs[int(which)%len(configs)], fuzzHeaders(data))
	})
}
