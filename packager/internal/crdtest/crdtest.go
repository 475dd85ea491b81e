// Package crdtest validates objects the way the Kubernetes API server validates custom resources:
// against a CustomResourceDefinition's own OpenAPI schema (with its defaults applied and unknown
// fields reported, as pruning would drop them) and its CEL rules (x-kubernetes-validations), plus
// the object metadata checks every object gets. It links k8s.io/apiextensions-apiserver, so only
// tests import it; the laneway binary does not.
package crdtest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel"
	structuraldefaulting "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	structuralpruning "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	apiservervalidation "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"k8s.io/apimachinery/pkg/util/validation/field"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
	"sigs.k8s.io/yaml"
)

// Validator checks objects of one CRD version.
type Validator struct {
	Group, Kind, Version string
	structural           *structuralschema.Structural
	schema               apiservervalidation.SchemaValidator
	cel                  *cel.Validator
	namespaced           bool
}

// ModuleDir returns the folder of a module in the build's module graph (go list -m).
func ModuleDir(module string) (string, error) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", module).Output()
	if err != nil {
		return "", fmt.Errorf("locating module %s with `go list -m`: %w", module, err)
	}
	return strings.TrimSpace(string(out)), nil
}

// Load reads a CRD manifest and prepares the validators of its version.
func Load(path, version string) (*Validator, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var crd apiextensionsv1.CustomResourceDefinition
	if err := yaml.Unmarshal(raw, &crd); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	for _, v := range crd.Spec.Versions {
		if v.Name != version {
			continue
		}
		if v.Schema == nil || v.Schema.OpenAPIV3Schema == nil {
			return nil, fmt.Errorf("%s: version %s has no schema", filepath.Base(path), version)
		}
		var internal apiextensions.JSONSchemaProps
		if err := apiextensionsv1.Convert_v1_JSONSchemaProps_To_apiextensions_JSONSchemaProps(v.Schema.OpenAPIV3Schema, &internal, nil); err != nil {
			return nil, err
		}
		s, err := structuralschema.NewStructural(&internal)
		if err != nil {
			return nil, fmt.Errorf("%s: not a structural schema: %w", filepath.Base(path), err)
		}
		sv, _, err := apiservervalidation.NewSchemaValidator(&internal)
		if err != nil {
			return nil, err
		}
		return &Validator{
			Group: crd.Spec.Group, Kind: crd.Spec.Names.Kind, Version: version,
			structural: s, schema: sv, cel: cel.NewValidator(s, true, celconfig.PerCallLimit),
			namespaced: crd.Spec.Scope == apiextensionsv1.NamespaceScoped,
		}, nil
	}
	return nil, fmt.Errorf("%s: no version %s", filepath.Base(path), version)
}

// Validate checks one object given as YAML or JSON and returns every error the API server would
// report on create: unknown fields, schema violations (after defaulting), CEL rule violations and
// invalid metadata.
func (v *Validator) Validate(doc []byte) field.ErrorList {
	// Decode as the API server does: integers stay int64 (CEL and the schema tell int from float).
	var obj map[string]any
	js, err := yaml.YAMLToJSON(doc)
	if err == nil {
		err = utiljson.Unmarshal(js, &obj)
	}
	if err != nil || obj == nil {
		return field.ErrorList{field.Invalid(field.NewPath(""), string(doc), fmt.Sprintf("not a YAML or JSON object: %v", err))}
	}
	var errs field.ErrorList
	if got, want := obj["apiVersion"], v.Group+"/"+v.Version; got != want {
		errs = append(errs, field.Invalid(field.NewPath("apiVersion"), got, "expected "+want))
	}
	if obj["kind"] != v.Kind {
		errs = append(errs, field.Invalid(field.NewPath("kind"), obj["kind"], "expected "+v.Kind))
	}
	if unknown := structuralpruning.PruneWithOptions(obj, v.structural, true, structuralschema.UnknownFieldPathOptions{TrackUnknownFieldPaths: true}); len(unknown) > 0 {
		for _, p := range unknown {
			errs = append(errs, field.Forbidden(field.NewPath(p), "unknown field (the API server would drop it)"))
		}
	}
	structuraldefaulting.Default(obj, v.structural)
	errs = append(errs, apiservervalidation.ValidateCustomResource(nil, obj, v.schema)...)
	celErrs, _ := v.cel.Validate(context.Background(), nil, v.structural, obj, nil, celconfig.RuntimeCELCostBudget)
	errs = append(errs, celErrs...)
	var meta metav1.ObjectMeta
	if b, err := json.Marshal(obj["metadata"]); err == nil && json.Unmarshal(b, &meta) == nil {
		if meta.Namespace == "" && v.namespaced {
			meta.Namespace = "default" // kubectl apply fills in the current namespace
		}
		errs = append(errs, apimachineryvalidation.ValidateObjectMeta(&meta, v.namespaced, apimachineryvalidation.NameIsDNSSubdomain, field.NewPath("metadata"))...)
	} else {
		errs = append(errs, field.Required(field.NewPath("metadata"), "an object"))
	}
	return errs
}
