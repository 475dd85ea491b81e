package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/laneway/laneway/packager/cli"
)

// TestMakeBuildAndLanewayBuildPrintTheSameLayout builds tenantroute with this command (what `make build` runs)
// and with `laneway build`, into the same folder, and compares what each prints on stdout.
func TestMakeBuildAndLanewayBuildPrintTheSameLayout(t *testing.T) {
	out := t.TempDir()
	var makeOut bytes.Buffer
	require.Equal(t, 0, run(context.Background(), []string{"tenantroute"}, out, false, &makeOut, os.Stderr))

	var lanewayOut, lanewayErr bytes.Buffer
	code := cli.Execute(context.Background(), []string{"build", "tenantroute", "--out-dir", out}, cli.Streams{In: strings.NewReader(""), Out: &lanewayOut, Err: &lanewayErr})
	require.Equal(t, 0, code, lanewayErr.String())

	assert.Equal(t, makeOut.String(), lanewayOut.String())
	assert.Regexp(t, `^tenantroute\s+\S+/tenantroute\.wasm\s+\d+ bytes\n$`, makeOut.String())
	assert.Contains(t, lanewayErr.String(), "tenantroute loads on Envoy >= 1.33", "laneway build adds its verdict on stderr")
}
