package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/laneway/laneway/testenv/wasmtest"
)

// result is what one CLI invocation produced.
type result struct {
	stdout, stderr string
	code           int
}

// run executes laneway in-process with stdin and returns its streams and exit code.
func run(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := Execute(context.Background(), args, Streams{In: strings.NewReader(stdin), Out: &out, Err: &errb})
	return result{stdout: out.String(), stderr: errb.String(), code: code}
}

// writeModule writes a hand-assembled module to a temp file and returns its path.
func writeModule(t *testing.T, name string, m wasmtest.Module) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(p, m.Bytes(), 0o644))
	return p
}

// golden compares got with testdata/<name>.golden; REFRESH_GOLDEN=true rewrites it.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if os.Getenv("REFRESH_GOLDEN") == "true" {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "missing golden file; run with REFRESH_GOLDEN=true")
	assert.Equal(t, string(want), got)
}

func wasiImport(name string, params ...byte) wasmtest.Import {
	return wasmtest.Import{Module: "wasi_snapshot_preview1", Name: name, Type: wasmtest.Func{Params: params, Results: []byte{wasmtest.I32}}}
}
