package istiores

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
)

// FuzzConfigToJSON: any input either errors or yields a JSON object that the
// WasmPlugin path accepts or refuses without panicking.
func FuzzConfigToJSON(f *testing.F) {
	f.Add([]byte("mode: edge\n"))
	f.Add([]byte(`{"allow":["a"]}`))
	f.Add([]byte("- a\n"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, in []byte) {
		j, err := ConfigToJSON(in)
		if err != nil {
			return
		}
		var obj map[string]any
		assert.NoError(t, json.Unmarshal(j, &obj), "ConfigToJSON returns a JSON object")
		if out, err := PluginConfigFromJSON(j); err == nil && len(out) > 0 {
			assert.True(t, json.Valid(out))
		}
	})
}
