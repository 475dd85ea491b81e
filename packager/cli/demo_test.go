package cli

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/laneway/laneway/packager/demo"
)

func TestDemoPrintsWhatHappenedToEachRequest(t *testing.T) {
	r := run(t, "", "demo", "--format", "json")
	require.Equal(t, 0, r.code, "stderr: %s", r.stderr)
	var rep demo.Report
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &rep), r.stdout)
	require.Len(t, rep.Rows, len(demo.DefaultRequests))
	assert.Equal(t, "svc-b@sbx-1", rep.Rows[0].ServedBy, "the sbx-1 tenant in baggage reaches the sandbox")
	assert.Equal(t, "svc-b", rep.Rows[1].ServedBy, "no tenant reaches baseline")
	assert.Equal(t, "svc-b-shadow:8080", rep.Rows[1].ShadowHost, "baseline traffic is mirrored to v2 with the -shadow host")
	assert.Contains(t, r.stderr, "Demo finished")
}

func TestDemoRejectsAnUnknownFormat(t *testing.T) {
	r := run(t, "", "demo", "--format", "xml")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, `--format: got "xml"`)
}
