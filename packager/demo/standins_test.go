package demo

import (
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestStandInsServeEveryAppAndTheExtraOnesUntilClosed covers the one start-up both demos share: every app
// and every extra handler answers on its own loopback address, and close stops all of them.
func TestStandInsServeEveryAppAndTheExtraOnesUntilClosed(t *testing.T) {
	apps, err := startStandIns(map[string]http.Handler{
		"EXTRA": http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "extra") }),
	})
	require.NoError(t, err)
	keys := []string{"SVC_A", "SVC_B", "SVC_B_SBX_1", "SVC_B_V2", "LEDGER", "EXTRA"}
	seen := map[string]bool{}
	for _, k := range keys {
		require.Contains(t, apps.addrs, k)
		assert.False(t, seen[apps.addrs[k]], "%s has an address of its own", k)
		seen[apps.addrs[k]] = true
	}
	assert.Len(t, apps.addrs, len(keys), "the apps and the extra handler, nothing else")

	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get("http://" + apps.addrs["EXTRA"] + "/")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, "extra", string(body))
	resp, err = client.Post("http://"+apps.addrs["LEDGER"]+"/", "text/plain", nil)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusCreated, resp.StatusCode, "the ledger takes writes")
	assert.Len(t, apps.ledger.all(), 1)

	apps.close()
	for _, k := range keys {
		_, err := client.Get("http://" + apps.addrs[k] + "/")
		assert.Error(t, err, "%s stopped with close", k)
	}
}
