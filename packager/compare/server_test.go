package compare

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func post(t *testing.T, base, ctype, body string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Post(base+"/v1/captures", ctype, strings.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	var m map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&m))
	return resp.StatusCode, m
}

func batch(t *testing.T, caps []Capture) string {
	b, err := EncodeBatch(caps)
	require.NoError(t, err)
	return string(b)
}

func getBody(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, err := http.Get(u)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

func TestServerAcceptsCapturesAndServesReportEndpointAndPair(t *testing.T) {
	col := New(Options{Now: newClock().Now, NoiseMargin: DefaultNoiseMargin})
	srv := httptest.NewServer(Handler(col, ServerOptions{}))
	defer srv.Close()

	code, m := post(t, srv.URL, "application/json", batch(t, plantedTraffic(20, 7)))
	assert.Equal(t, http.StatusAccepted, code)
	assert.Equal(t, map[string]any{"accepted": 60.0, "duplicates": 0.0, "conflicts": 0.0}, m)

	code, body := getBody(t, srv.URL+"/v1/report")
	require.Equal(t, http.StatusOK, code, body)
	var r Report
	require.NoError(t, json.Unmarshal([]byte(body), &r))
	assert.Equal(t, "body:total", r.Endpoints[0].Fields[0].Field)

	code, body = getBody(t, srv.URL+"/v1/endpoints/"+url.PathEscape(ordersKey))
	require.Equal(t, http.StatusOK, code, body)
	var e EndpointReport
	require.NoError(t, json.Unmarshal([]byte(body), &e))
	assert.Equal(t, int64(20), e.CandidateComparisons)

	code, body = getBody(t, srv.URL+"/v1/pairs/req-7-3")
	require.Equal(t, http.StatusOK, code, body)
	assert.Contains(t, body, `"reported":["body:total"]`)

	code, body = getBody(t, srv.URL+"/v1/pairs/nope")
	assert.Equal(t, http.StatusNotFound, code)
	assert.Contains(t, body, "--max-age")
	code, body = getBody(t, srv.URL+"/v1/endpoints/"+url.PathEscape("orders GET /nothing"))
	assert.Equal(t, http.StatusNotFound, code)
	assert.Contains(t, body, "no comparison yet")
	code, body = getBody(t, srv.URL+"/v1/endpoints/garbage")
	assert.Equal(t, http.StatusBadRequest, code)
	assert.Contains(t, body, `expected a key \"service METHOD /path\"`)
	code, body = getBody(t, srv.URL+"/v1/report?scope=everything")
	assert.Equal(t, http.StatusBadGateway, code)
	assert.Contains(t, body, "expected local or all")

	code, body = getBody(t, srv.URL+"/")
	assert.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, `<script src="app.js">`)
	code, _ = getBody(t, srv.URL+"/app.js")
	assert.Equal(t, http.StatusOK, code)
}

func TestServerRefusesBadBatchesWithAClearError(t *testing.T) {
	col := New(Options{})
	srv := httptest.NewServer(Handler(col, ServerOptions{MaxBatchBytes: 4096}))
	defer srv.Close()
	bad := strings.Replace(batch(t, []Capture{capture("a", Primary, "{}"), capture("b", Primary, "{}")}), `"role":"primary","service":"orders","method":"GET","path":"/orders/42?verbose=1","status":200,"headers":{"content-type":"application/json"},"body":"e30=","bodyBytes":2,"truncated":false,"ts":0}]`, `"role":"leader","service":"orders","method":"GET","path":"/orders/42?verbose=1","status":200}]`, 1)
	tests := []struct {
		name, ctype, body string
		code              int
		inMsg             string
	}{
		{"a bad role", "application/json", bad, 400, `capture 1: field "role": got "leader"`},
		{"not JSON content", "text/plain", batch(t, nil), 415, `content-type: got "text/plain", expected application/json`},
		{"too large", "application/json", `{"captures":[` + strings.Repeat(" ", 5000) + `]}`, 413, "larger than 4096 bytes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, m := post(t, srv.URL, tc.ctype, tc.body)
			assert.Equal(t, tc.code, code)
			assert.Contains(t, m["error"], tc.inMsg)
		})
	}
	r := col.Report()
	assert.Equal(t, int64(3), r.Totals.RefusedBatches)
	assert.Equal(t, int64(0), r.Totals.Captures, "a refused batch is dropped whole")
}

func TestServerScopeAllMergesPeers(t *testing.T) {
	caps := plantedTraffic(10, 3)
	a, b := New(Options{}), New(Options{})
	a.Add(caps[:15])
	b.Add(caps[15:])
	peer := httptest.NewServer(Handler(b, ServerOptions{}))
	defer peer.Close()
	srv := httptest.NewServer(Handler(a, ServerOptions{Peers: []string{peer.URL}}))
	defer srv.Close()

	_, body := getBody(t, srv.URL+"/v1/report?scope=all")
	var r Report
	require.NoError(t, json.Unmarshal([]byte(body), &r))
	assert.Equal(t, 2, r.Replicas)
	assert.Equal(t, int64(30), r.Totals.Captures)
	_, body = getBody(t, srv.URL+"/v1/report")
	require.NoError(t, json.Unmarshal([]byte(body), &r))
	assert.Equal(t, 1, r.Replicas, "the default scope is this replica only (what report merges)")

	code, body := getBody(t, srv.URL+"/v1/pairs/req-3-9?scope=all")
	assert.Equal(t, http.StatusOK, code, "a pair retained by a peer")
	assert.Contains(t, body, `"id":"req-3-9"`)

	peer.Close()
	code, body = getBody(t, srv.URL+"/v1/report?scope=all")
	assert.Equal(t, http.StatusBadGateway, code)
	assert.Contains(t, body, peer.URL)
}

func TestFetchReportRefusesWhatIsNotAReport(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(bytes.Repeat([]byte(`{"hello":1}`), 1))
	}))
	defer srv.Close()
	_, err := FetchReport(t.Context(), http.DefaultClient, srv.URL)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "not a laneway compare answer")
	_, err = FetchReport(t.Context(), http.DefaultClient, "ftp://x")
	assert.ErrorContains(t, err, "expected a base URL")
}
