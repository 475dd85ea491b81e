package cli

import (
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"

	"github.com/laneway/laneway/testenv/proxy"
)

// yamlKeys are the mesh-file keys of the config fields whose key is not the field name in lowerCamelCase.
var yamlKeys = map[string]string{"PluginConfig": "config", "URI": "uri"}

func yamlKey(f reflect.StructField) string {
	if k, ok := yamlKeys[f.Name]; ok {
		return k
	}
	return strings.ToLower(f.Name[:1]) + f.Name[1:]
}

// fields lists every field of the struct types reachable from t as "Type.key" (key: the mesh-file
// key), so that a type used in several places (StringMatch) is documented once.
func fields(t reflect.Type, out map[string]bool) {
	switch t.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Map:
		fields(t.Elem(), out)
	case reflect.Struct:
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			k := t.Name() + "." + yamlKey(f)
			if out[k] {
				return // seen this type
			}
			out[k] = true
			fields(f.Type, out)
		}
	}
}

// documented walks the reference document guided by t and records each "Type.key" it sets.
func documented(t reflect.Type, v any, out map[string]bool) {
	switch t.Kind() {
	case reflect.Pointer:
		documented(t.Elem(), v, out)
	case reflect.Slice:
		if items, ok := v.([]any); ok && t.Elem().Kind() != reflect.Uint8 { // []byte: the plugin config, a leaf
			for _, it := range items {
				documented(t.Elem(), it, out)
			}
		}
	case reflect.Map:
		if m, ok := v.(map[string]any); ok {
			for _, val := range m {
				documented(t.Elem(), val, out)
			}
		}
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			return
		}
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if val, ok := m[yamlKey(f)]; ok && f.IsExported() {
				out[t.Name()+"."+yamlKey(f)] = true
				documented(f.Type, val, out)
			}
		}
	}
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestRunHelpDocumentsEveryMeshField(t *testing.T) {
	cfg, err := proxy.Parse([]byte(meshReference))
	require.NoError(t, err, "the reference in `run --help` must be a valid mesh file: the parser rejects unknown fields, so it documents no field that does not exist")

	want := map[string]bool{}
	fields(reflect.TypeOf(cfg), want)
	require.Contains(t, want, "StringMatch.regex", "the walk reaches nested matches")
	require.Contains(t, want, "MirrorConfig.disableShadowHostSuffix")
	var doc any
	require.NoError(t, yaml.Unmarshal([]byte(meshReference), &doc))
	got := map[string]bool{}
	documented(reflect.TypeOf(cfg), doc, got)
	assert.Equal(t, sortedKeys(want), sortedKeys(got), "every field of testenv/proxy.Config (and nothing else) appears in meshref.yaml; a new field needs a line there")

	// Each key is explained: at least one line that sets it carries a comment.
	for _, p := range sortedKeys(want) {
		key := p[strings.LastIndexByte(p, '.')+1:]
		re := regexp.MustCompile(`(^|[\s{,-])` + regexp.QuoteMeta(key) + `:.*#`)
		commented := false
		for _, line := range strings.Split(meshReference, "\n") {
			if re.MatchString(line) {
				commented = true
				break
			}
		}
		assert.True(t, commented, "%s: no line setting %q has a # comment explaining it", p, key)
	}

	r := run(t, "", "run", "--help")
	require.Equal(t, 0, r.code)
	for _, line := range strings.Split(strings.TrimSpace(meshReference), "\n") {
		assert.Contains(t, r.stdout, "  "+line, "run --help shows the whole reference")
	}
}
