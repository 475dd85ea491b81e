package progress

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/laneway/laneway/testenv/testenvtest"
)

func TestStepReportsStartHeartbeatsAndTheResult(t *testing.T) {
	tests := []struct {
		name      string
		work      time.Duration
		err       error
		wantStill bool
		wantDone  bool
	}{
		{"a long step prints still-lines while it runs", 120 * time.Millisecond, nil, true, true},
		{"a quick step prints no still-line", 0, nil, false, true},
		{"a failed step prints no done-line", 0, errors.New("boom"), false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out testenvtest.LockedBuffer
			err := Step(&out, 20*time.Millisecond, "compiling tenantroute (1/3)", "compiling tenantroute", func() (string, error) {
				time.Sleep(tc.work)
				return "dist/tenantroute.wasm, 42 bytes", tc.err
			})
			assert.Equal(t, tc.err, err)
			s := out.String()
			assert.True(t, strings.HasPrefix(s, "  compiling tenantroute (1/3) ...\n"), s)
			assert.Equal(t, tc.wantStill, strings.Contains(s, "  still compiling tenantroute ("), s)
			assert.Equal(t, tc.wantDone, strings.Contains(s, ": dist/tenantroute.wasm, 42 bytes\n"), s)
		})
	}
}

func TestStepWithoutAWriterOnlyRunsTheWork(t *testing.T) {
	ran := false
	require.NoError(t, Step(nil, 0, "x", "x", func() (string, error) { ran = true; return "", nil }))
	assert.True(t, ran)
	assert.Equal(t, errors.New("e"), Step(nil, 0, "x", "x", func() (string, error) { return "", errors.New("e") }))
}
