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

// ToJSON renders objects as indented JSON (a list when there are several), cleaned like ToYAML.
func ToJSON(objs ...any) ([]byte, error) {
	docs := make([]any, 0, len(objs))
	for i, o := range objs {
		m, err := clean(o)
		if err != nil {
			return nil, fmt.Errorf("encode object %d: %w", i, err)
		}
		docs = append(docs, m)
	}
	if len(docs) == 1 {
		return json.MarshalIndent(docs[0], "", "  ")
	}
	return json.MarshalIndent(docs, "", "  ")
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
