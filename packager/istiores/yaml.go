package istiores

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"

	"sigs.k8s.io/yaml"
)

// ToYAML renders Kubernetes objects as a multi-document YAML stream, dropping the
// empty status and creationTimestamp that typed objects carry.
func ToYAML(objs ...any) ([]byte, error) {
	var out bytes.Buffer
	for i, o := range objs {
		m, err := clean(o)
		if err != nil {
			return nil, fmt.Errorf("encode object %d: %w", i, err)
		}
		y, err := yaml.Marshal(m)
		if err != nil {
			return nil, fmt.Errorf("encode object %d as YAML: %w", i, err)
		}
		if i > 0 {
			out.WriteString("---\n")
		}
		out.Write(y)
	}
	return out.Bytes(), nil
}

// ToJSON renders one object as indented JSON, cleaned like ToYAML; several objects become a List (see
// ToJSONList), never a bare JSON array, which kubectl does not accept.
func ToJSON(objs ...any) ([]byte, error) {
	if len(objs) != 1 {
		return ToJSONList(objs...)
	}
	m, err := clean(objs[0])
	if err != nil {
		return nil, fmt.Errorf("encode object 0: %w", err)
	}
	return json.MarshalIndent(m, "", "  ")
}

// ToJSONList renders objects as one indented JSON "v1" List with the objects as items, cleaned like
// ToYAML: the shape `kubectl apply -f` accepts, the same for one object or several.
func ToJSONList(objs ...any) ([]byte, error) {
	items := make([]any, 0, len(objs))
	for i, o := range objs {
		m, err := clean(o)
		if err != nil {
			return nil, fmt.Errorf("encode object %d: %w", i, err)
		}
		items = append(items, m)
	}
	return json.MarshalIndent(struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Items      []any  `json:"items"`
	}{"v1", "List", items}, "", "  ")
}

func clean(o any) (map[string]any, error) {
	j, err := json.Marshal(o)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(j, &m); err != nil {
		return nil, err
	}
	delete(m, "status")
	if meta, ok := m["metadata"].(map[string]any); ok {
		delete(meta, "creationTimestamp")
	}
	// protojson omits zero enums; spell out Istio's fail-closed default so the
	// choice is visible in review (fail-open/closed surprises are a common complaint).
	if m["kind"] == "WasmPlugin" {
		if spec, ok := m["spec"].(map[string]any); ok {
			if _, set := spec["failStrategy"]; !set {
				spec["failStrategy"] = "FAIL_CLOSE"
			}
		}
	}
	return m, nil
}

func sortedStrings(s []string) []string {
	sort.Strings(s)
	return s
}
