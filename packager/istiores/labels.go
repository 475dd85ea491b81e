package istiores

import (
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
)

// checkLabelKey reports a label key Kubernetes and Istio would reject (field names the flag or field).
func checkLabelKey(field, k string) error {
	if errs := validation.IsQualifiedName(k); len(errs) > 0 {
		return fieldError(field, "got label key %q, expected a Kubernetes label key ([prefix/]name, e.g. version or app.kubernetes.io/version): %s", k, strings.Join(errs, "; "))
	}
	return nil
}

// checkLabels reports the first label (in key order) whose key or value Kubernetes and Istio would reject.
func checkLabels(field string, labels map[string]string) error {
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if err := checkLabelKey(field, k); err != nil {
			return err
		}
		if errs := validation.IsValidLabelValue(labels[k]); len(errs) > 0 {
			return fieldError(field, "got label %s=%q, expected a Kubernetes label value (at most 63 letters, digits, '-', '_', '.', starting and ending alphanumeric): %s", k, labels[k], strings.Join(errs, "; "))
		}
	}
	return nil
}
