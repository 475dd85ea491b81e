package wasmbuild

import (
	"bytes"
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sections splits a Wasm module into its sections: known ones by id ("10" is code), custom ones by name.
func sections(t *testing.T, b []byte) map[string][]byte {
	t.Helper()
	require.True(t, len(b) > 8 && bytes.Equal(b[:4], []byte("\x00asm")), "a Wasm module")
	out := map[string][]byte{}
	for i := 8; i < len(b); {
		id := b[i]
		n, k := binary.Uvarint(b[i+1:])
		require.Positive(t, k, "section size at %d", i)
		body := b[i+1+k : i+1+k+int(n)]
		key := string(rune('0' + id))
		if id == 10 || id == 11 {
			key = map[byte]string{10: "code", 11: "data"}[id]
		}
		if id == 0 {
			l, m := binary.Uvarint(body)
			key = "custom:" + string(body[m:m+int(l)])
		}
		out[key] = body
		i += 1 + k + int(n)
	}
	return out
}

// TestKeepNamesBuildsTheShippedCodeWithFunctionNames holds the profiling build (wasmbuild -names) to what
// profiles rely on: the module keeps Wasm's name section, which the shipped build drops, and its code and
// data sections are byte for byte the shipped module's; fixtures land in the output folder; and it refuses
// to write into dist/ by default.
func TestKeepNamesBuildsTheShippedCodeWithFunctionNames(t *testing.T) {
	root, shipped, named := repoRoot(t), t.TempDir(), t.TempDir()
	_, err := Build(context.Background(), Options{Root: root, OutDir: shipped, Filters: []string{"tenantroute"}})
	require.NoError(t, err)
	arts, err := Build(context.Background(), Options{Root: root, OutDir: named, Filters: []string{"tenantroute", "noop"}, Fixtures: true, KeepNames: true})
	require.NoError(t, err)
	require.Len(t, arts, 2)
	assert.Equal(t, filepath.Join(named, "noop.wasm"), arts[1].Path, "a fixture goes to the output folder too")

	read := func(p string) map[string][]byte {
		b, err := os.ReadFile(p)
		require.NoError(t, err)
		return sections(t, b)
	}
	s, n := read(filepath.Join(shipped, "tenantroute.wasm")), read(arts[0].Path)
	assert.NotContains(t, s, "custom:name", "the shipped build has no name section")
	require.Contains(t, n, "custom:name")
	// The Go linker spells '/', '(', '*' and ')' as '_' in the name section.
	assert.True(t, bytes.Contains(n["custom:name"], []byte("github.com_laneway_laneway_tenantroute.__httpContext_.OnHttpRequestHeaders")), "functions are named")
	assert.True(t, bytes.Equal(s["code"], n["code"]), "same code section")
	assert.True(t, bytes.Equal(s["data"], n["data"]), "same data section")

	_, err = Build(context.Background(), Options{Root: root, Filters: []string{"tenantroute"}, KeepNames: true})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "OutDir")
}
