package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/laneway/laneway/packager/compare"
)

// startCollector runs `laneway compare serve` in-process on a free loopback port and returns
// its base URL; the server stops when the test ends.
func startCollector(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		done <- Execute(ctx, append([]string{"compare", "serve", "--listen", "127.0.0.1:0"}, args...), Streams{In: strings.NewReader(""), Out: io.Discard, Err: pw})
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	require.NoError(t, err)
	go io.Copy(io.Discard, pr) //nolint:errcheck // drain the rest of stderr
	_, rest, ok := strings.Cut(line, "listening on ")
	require.True(t, ok, "first stderr line: %q", line)
	t.Cleanup(func() {
		cancel()
		assert.Equal(t, 0, <-done, "serve exits cleanly when its context ends")
	})
	return strings.Fields(rest)[0]
}

// plantedCaptures: n requests in three roles; the candidate renames "total" to "amount";
// "at" and "trace" differ in every response (noise).
func plantedCaptures(n int) []compare.Capture {
	rng := rand.New(rand.NewPCG(9, 9))
	body := func(totalKey string) []byte {
		return fmt.Appendf(nil, `{"id":7,%q:12,"at":%d,"trace":"%x"}`, totalKey, rng.Int64(), rng.Uint64())
	}
	var out []compare.Capture
	for i := range n {
		for role, key := range map[compare.Role]string{compare.Primary: "total", compare.Secondary: "total", compare.Candidate: "amount"} {
			b := body(key)
			out = append(out, compare.Capture{ID: fmt.Sprintf("id-%03d", i), Role: role, Service: "orders", Method: "GET",
				Path: fmt.Sprintf("/orders/%d", i), Status: 200, Body: b, BodyBytes: int64(len(b))})
		}
	}
	return out
}

func postCaptures(t *testing.T, base string, caps []compare.Capture) {
	t.Helper()
	b, err := compare.EncodeBatch(caps)
	require.NoError(t, err)
	resp, err := http.Post(base+"/v1/captures", "application/json", strings.NewReader(string(b)))
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusAccepted, resp.StatusCode)
}

func TestCompareServeAndReportMergeTwoReplicas(t *testing.T) {
	a := startCollector(t)
	b := startCollector(t, "--max-pairs", "1000")
	caps := plantedCaptures(100)
	// Requests 0-59 go to a, 60-99 to b (as a consistent hash would split them).
	postCaptures(t, a, caps[:180])
	postCaptures(t, b, caps[180:])

	res := run(t, "", "compare", "report", "--collector", a, "--collector", b, "--format", "json")
	require.Equal(t, 0, res.code, res.stderr)
	var r compare.Report
	require.NoError(t, json.Unmarshal([]byte(res.stdout), &r))
	assert.Equal(t, 2, r.Replicas)
	assert.Equal(t, int64(300), r.Totals.Captures, "counts add up")
	assert.Equal(t, int64(100), r.Totals.Retained)
	require.Len(t, r.Endpoints, 1)
	e := r.Endpoints[0]
	assert.Equal(t, "orders GET /orders/{id}", e.Key)
	assert.Equal(t, int64(100), e.CandidateComparisons)
	assert.Equal(t, int64(100), e.NoiseComparisons)
	var reported, noise []string
	for _, f := range e.Fields {
		if f.Reported {
			reported = append(reported, f.Field)
			assert.Equal(t, 1.0, f.CandidateRate, "rate recomputed from merged counts")
		}
		if f.Noise {
			noise = append(noise, f.Field)
		}
	}
	assert.Equal(t, []string{"body:amount", "body:total"}, reported)
	assert.ElementsMatch(t, []string{"body:at", "body:trace"}, noise)

	text := run(t, "", "compare", "report", "--collector", a, "--collector", b)
	require.Equal(t, 0, text.code, text.stderr)
	assert.Contains(t, text.stdout, "replicas 2, captures 300")
	assert.Contains(t, text.stdout, "REPORTED body:total")
	assert.Contains(t, text.stdout, "candidate 100/100 (100.0%)  noise 0/100 (0.0%)")
	assert.Contains(t, text.stdout, "noise: body:at (100.0%), body:trace (100.0%)")
	assert.NotContains(t, text.stdout, "REPORTED body:at")
	assert.Contains(t, text.stderr, "reading "+a)

	// The page's scope=all on a, given b as a peer, is the same merge.
	c := startCollector(t, "--peer", b)
	postCaptures(t, c, caps[:180])
	resp, err := http.Get(c + "/v1/report?scope=all")
	require.NoError(t, err)
	defer resp.Body.Close()
	var pr compare.Report
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&pr))
	assert.Equal(t, r.Totals.Captures, pr.Totals.Captures)
	assert.Equal(t, r.Endpoints[0].CandidateComparisons, pr.Endpoints[0].CandidateComparisons)
}

func TestCompareReportFailsWhenAReplicaDoesNotAnswer(t *testing.T) {
	a := startCollector(t)
	res := run(t, "", "compare", "report", "--collector", a, "--collector", "http://127.0.0.1:1")
	assert.Equal(t, 1, res.code)
	assert.Contains(t, res.stderr, "collector http://127.0.0.1:1")
	assert.Contains(t, res.stderr, "is `laneway compare serve` running there?")
}

func TestCompareCommandsRefuseBadFlags(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		inErr string
	}{
		{"report without collectors", []string{"compare", "report"}, "--collector: got none"},
		{"report with a bad URL", []string{"compare", "report", "--collector", "localhost:8080"}, `got "localhost:8080", expected a base URL`},
		{"report with a bad margin", []string{"compare", "report", "--collector", "http://x", "--noise-margin", "1.5"}, "--noise-margin: got 1.5"},
		{"report with a bad format", []string{"compare", "report", "--collector", "http://x", "--format", "yaml"}, `--format: got "yaml"`},
		{"serve with no retention", []string{"compare", "serve", "--max-pairs", "0"}, "--max-pairs: got 0, expected at least 1"},
		{"serve with a zero age", []string{"compare", "serve", "--max-age", "0s"}, "--max-age: got 0s"},
		{"serve with a negative margin", []string{"compare", "serve", "--noise-margin", "-0.1"}, "--noise-margin: got -0.1"},
		{"serve with a bad peer", []string{"compare", "serve", "--peer", "10.0.0.1"}, "--peer: collector: got \"10.0.0.1\""},
		{"serve on a bad address", []string{"compare", "serve", "--listen", "nonsense"}, "--listen:"},
		{"manifest without image", []string{"compare", "manifest", "-n", "shop"}, `image: got ""`},
		{"manifest without namespace", []string{"compare", "manifest", "--image", "ghcr.io/a/b:v1"}, `namespace: got ""`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := run(t, "", tc.args...)
			assert.Equal(t, 1, res.code)
			assert.Contains(t, res.stderr, tc.inErr)
			assert.Empty(t, res.stdout)
		})
	}
}

func TestCompareManifestMatchesGoldenAndNamesTheCluster(t *testing.T) {
	res := run(t, "", "compare", "manifest", "-n", "shop", "--image", "ghcr.io/acme/laneway:v1", "--replicas", "3",
		"--serve-arg=--max-pairs=20000")
	require.Equal(t, 0, res.code, res.stderr)
	golden(t, "compare_manifest", res.stdout)
	assert.Contains(t, res.stderr, "outbound|8080||laneway-compare.shop.svc.cluster.local")
	assert.Contains(t, res.stderr, "authority laneway-compare.shop.svc.cluster.local:8080, shards 12", "4 shards per replica")
	help := run(t, "", "compare", "manifest", "--help")
	for _, says := range []string{"dispatch_http_call", ":authority", "<shard>.<authority>", "MAGLEV", "RING_HASH", "compare.shards"} {
		assert.Contains(t, help.stdout, says, "the help explains how one request's captures meet in one replica")
	}
}
