package filterid_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tetratelabs/wazero"

	"github.com/laneway/laneway/packager/wasmbuild/filterid"
	"github.com/laneway/laneway/testenv/wasmtest"
)

func TestAppendThenReadRoundTripsAndTheModuleStillCompiles(t *testing.T) {
	mod := wasmtest.GoFilter().Bytes()
	got, err := filterid.Read(mod)
	require.NoError(t, err)
	assert.Empty(t, got, "a module without the section names no filter")

	named, err := filterid.Append(mod, "tenantroute")
	require.NoError(t, err)
	got, err = filterid.Read(named)
	require.NoError(t, err)
	assert.Equal(t, "tenantroute", got)

	// A runtime ignores the section: the module compiles with the same imports and exports.
	ctx := context.Background()
	r := wazero.NewRuntime(ctx)
	defer r.Close(ctx)
	cm, err := r.CompileModule(ctx, named)
	require.NoError(t, err)
	assert.Len(t, cm.ImportedFunctions(), len(wasmtest.GoFilter().Imports))

	_, err = filterid.Append(named, "shadowtag")
	assert.ErrorContains(t, err, `already names filter "tenantroute"`)
}

func TestReadRefusesMalformedModulesAndSections(t *testing.T) {
	base := wasmtest.GoFilter().Bytes()
	custom := func(name, payload string) []byte {
		body := append([]byte{byte(len(name))}, name...)
		body = append(body, payload...)
		return append([]byte{0, byte(len(body))}, body...)
	}
	for _, tc := range []struct {
		name, want string
		module     []byte
	}{
		{"not wasm", "no \\0asm magic", []byte("hello, world")},
		{"truncated size", "truncated LEB128", append(append([]byte{}, base...), 0)},
		{"size beyond the end", "bytes declared", append(append([]byte{}, base...), 0, 50, 1)},
		{"bad payload", `holds "Tenant Route!"`, append(append([]byte{}, base...), custom(filterid.SectionName, "Tenant Route!")...)},
		{"empty payload", `holds ""`, append(append([]byte{}, base...), custom(filterid.SectionName, "")...)},
		{"two sections", "two laneway.filter sections", append(append(append([]byte{}, base...), custom(filterid.SectionName, "a")...), custom(filterid.SectionName, "b")...)},
		{"name overruns", "overruns the section", append(append([]byte{}, base...), 0, 2, 9, 'x')},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := filterid.Read(tc.module)
			assert.ErrorContains(t, err, tc.want)
		})
	}
	other, err := filterid.Read(append(append([]byte{}, base...), custom("name", "whatever")...))
	require.NoError(t, err, "other custom sections are skipped")
	assert.Empty(t, other)
}

func TestAppendRefusesAnInvalidName(t *testing.T) {
	for _, n := range []string{"", "Tenant", "a b", "1abc", string(make([]byte, 65))} {
		_, err := filterid.Append(wasmtest.GoFilter().Bytes(), n)
		assert.Error(t, err, "%q", n)
	}
}

func FuzzRead(f *testing.F) {
	base := wasmtest.GoFilter().Bytes()
	named, _ := filterid.Append(base, "synthetic")
	f.Add(base)
	f.Add(named)
	f.Add([]byte("\x00asm\x01\x00\x00\x00\x00\xff\xff\xff\xff\x0f"))
	f.Fuzz(func(t *testing.T, b []byte) {
		name, err := filterid.Read(b)
		if err == nil && name != "" {
			assert.True(t, filterid.ValidName(name))
		}
	})
}
