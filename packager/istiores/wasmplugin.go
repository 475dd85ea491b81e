// Package istiores generates the Istio resources laneway needs: WasmPlugins pinned
// by image digest, and VirtualServices/DestinationRules that route tenants to sandboxes.
package istiores

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/wrapperspb"
	extv1alpha1 "istio.io/api/extensions/v1alpha1"
	typev1beta1 "istio.io/api/type/v1beta1"
	clientext "istio.io/client-go/pkg/apis/extensions/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/laneway/laneway/testenv/configdoc"
)

// TargetRef names a Gateway, GatewayClass, Service (waypoint) or ServiceEntry the plugin attaches to.
type TargetRef struct {
	Group, Kind, Name string
}

// WasmPluginOptions describe a WasmPlugin.
type WasmPluginOptions struct {
	Name, Namespace string
	// Image is the image reference (with or without oci://); a @sha256: digest in it must match Digest.
	Image string
	// Digest is the manifest digest hex (64 lower-case hex characters, no "sha256:" prefix).
	Digest string
	// PluginName becomes Envoy's root_id.
	PluginName string
	Selector   map[string]string
	TargetRefs []TargetRef
	// Phase is AUTHN, AUTHZ, STATS or "" (UNSPECIFIED_PHASE).
	Phase    string
	Priority *int32
	// MatchMode is CLIENT, SERVER, CLIENT_AND_SERVER or "" (all traffic).
	MatchMode  string
	MatchPorts []uint32
	// FailStrategy is FAIL_OPEN, FAIL_CLOSE or FAIL_RELOAD.
	FailStrategy string
	// PullPolicy is IfNotPresent, Always or "".
	PullPolicy      string
	ImagePullSecret string
	// Config is the plugin configuration as a JSON object (nil or empty: no pluginConfig).
	Config []byte
	// Type is HTTP (default) or NETWORK.
	Type string
}

var (
	sha256Hex  = regexp.MustCompile(`^[a-f0-9]{64}$`)
	dnsLabel   = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	dnsSubname = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
	headerName = regexp.MustCompile(`^[a-z0-9!#$%&'*+.^_` + "`" + `|~-]+$`)
)

// allowedTargetKinds are the targetRef kinds Istio accepts for WasmPlugins, by group.
var allowedTargetKinds = map[string]bool{
	"gateway.networking.k8s.io/Gateway":      true,
	"gateway.networking.k8s.io/GatewayClass": true,
	"/Service":                               true,
	"networking.istio.io/ServiceEntry":       true,
}

func enumValue(field, v string, values map[string]int32) (int32, error) {
	if n, ok := values[v]; ok {
		return n, nil
	}
	var allowed []string
	for k := range values {
		if k != "" && !strings.HasPrefix(k, "UNSPECIFIED") && k != "UNDEFINED" {
			allowed = append(allowed, k)
		}
	}
	return 0, fieldError(field, "got %q, expected one of %s", v, strings.Join(sortedStrings(allowed), ", "))
}

// WasmPlugin builds and validates a WasmPlugin (the checks Istio's webhook and CRD make).
func WasmPlugin(o WasmPluginOptions) (*clientext.WasmPlugin, error) {
	if !dnsSubname.MatchString(o.Name) || len(o.Name) > 253 {
		return nil, fieldError("name", "got %q, expected a DNS subdomain (lower-case letters, digits, '-', '.')", o.Name)
	}
	if o.Namespace != "" && !dnsLabel.MatchString(o.Namespace) {
		return nil, fieldError("namespace", "got %q, expected a DNS label", o.Namespace)
	}
	ref := strings.TrimPrefix(o.Image, "oci://")
	if ref == "" {
		return nil, fieldError("image", "got nothing, expected an image reference such as registry.example.com/laneway/tenantroute:v1")
	}
	// Istio's agent parses the URL (less oci://) with go-containerregistry's name.ParseReference.
	if strings.Contains(ref, "://") {
		return nil, fieldError("image", "got %q, expected an OCI image reference such as registry.example.com/laneway/tenantroute:v1 (oci:// is the only scheme laneway writes; laneway push makes the image)", o.Image)
	}
	if _, err := name.ParseReference(ref); err != nil {
		return nil, fieldError("image", "got %q, expected an image reference such as registry.example.com/laneway/tenantroute:v1 (lower-case repository, no scheme, no spaces), which Istio's agent can parse: %w", o.Image, err)
	}
	o.Digest = strings.TrimPrefix(o.Digest, "sha256:")
	if i := strings.Index(ref, "@sha256:"); i >= 0 {
		inURL := ref[i+len("@sha256:"):]
		if o.Digest == "" {
			o.Digest = inURL
		} else if inURL != o.Digest {
			return nil, fieldError("sha256", "got %s, but the image reference pins %s; they must agree (Istio fails the fetch otherwise)", o.Digest, inURL)
		}
	}
	if !sha256Hex.MatchString(o.Digest) {
		return nil, fieldError("sha256", "got %q, expected the image manifest digest as 64 lower-case hex characters (printed by `laneway push` and `laneway verify`)", o.Digest)
	}
	if len(o.Selector) > 0 && len(o.TargetRefs) > 0 {
		return nil, fieldError("selector and targetRefs", "got both, expected at most one (Istio rejects a WasmPlugin with both)")
	}
	if len(o.TargetRefs) > 16 {
		return nil, fieldError("targetRefs", "got %d, expected at most 16", len(o.TargetRefs))
	}
	for k, v := range o.Selector {
		if k == "" || strings.Contains(k, "*") || strings.Contains(v, "*") {
			return nil, fieldError("selector", "got %q=%q, expected a non-empty label key and no '*' wildcards", k, v)
		}
	}
	if err := checkLabels("selector", o.Selector); err != nil {
		return nil, err
	}
	if len(o.PluginName) > 256 {
		return nil, fieldError("pluginName", "got %d characters, expected at most 256", len(o.PluginName))
	}
	if o.ImagePullSecret != "" && (len(o.ImagePullSecret) > 253 || !dnsSubname.MatchString(o.ImagePullSecret)) {
		return nil, fieldError("imagePullSecret", "got %q, expected the name of a kubernetes.io/dockerconfigjson Secret in namespace %q", o.ImagePullSecret, o.Namespace)
	}

	spec := extv1alpha1.WasmPlugin{
		Url:             "oci://" + ref,
		Sha256:          o.Digest,
		PluginName:      o.PluginName,
		ImagePullSecret: o.ImagePullSecret,
	}
	if len(o.Selector) > 0 {
		spec.Selector = &typev1beta1.WorkloadSelector{MatchLabels: o.Selector}
	}
	for _, tr := range o.TargetRefs {
		if tr.Kind == "" || tr.Name == "" {
			return nil, fieldError("targetRefs", "got %+v, expected kind and name", tr)
		}
		if !allowedTargetKinds[tr.Group+"/"+tr.Kind] {
			return nil, fieldError("targetRefs", "got group %q kind %q, expected gateway.networking.k8s.io Gateway or GatewayClass, core Service (waypoints) or networking.istio.io ServiceEntry", tr.Group, tr.Kind)
		}
		spec.TargetRefs = append(spec.TargetRefs, &typev1beta1.PolicyTargetReference{Group: tr.Group, Kind: tr.Kind, Name: tr.Name})
	}
	phase := o.Phase
	if phase == "" {
		phase = "UNSPECIFIED_PHASE"
	}
	p, err := enumValue("phase", phase, extv1alpha1.PluginPhase_value)
	if err != nil {
		return nil, err
	}
	spec.Phase = extv1alpha1.PluginPhase(p)
	if o.Priority != nil {
		spec.Priority = wrapperspb.Int32(*o.Priority)
	}
	fs, err := enumValue("failStrategy", o.FailStrategy, extv1alpha1.FailStrategy_value)
	if err != nil {
		return nil, err
	}
	spec.FailStrategy = extv1alpha1.FailStrategy(fs)
	if o.PullPolicy != "" {
		pp, err := enumValue("imagePullPolicy", o.PullPolicy, extv1alpha1.PullPolicy_value)
		if err != nil {
			return nil, err
		}
		spec.ImagePullPolicy = extv1alpha1.PullPolicy(pp)
	}
	if o.Type != "" {
		t, err := enumValue("type", o.Type, extv1alpha1.PluginType_value)
		if err != nil {
			return nil, err
		}
		spec.Type = extv1alpha1.PluginType(t)
	}
	if o.MatchMode != "" || len(o.MatchPorts) > 0 {
		mode := o.MatchMode
		if mode == "" {
			mode = "UNDEFINED"
		}
		m, err := enumValue("match.mode", mode, typev1beta1.WorkloadMode_value)
		if err != nil {
			return nil, err
		}
		sel := &extv1alpha1.WasmPlugin_TrafficSelector{Mode: typev1beta1.WorkloadMode(m)}
		for _, port := range o.MatchPorts {
			if port == 0 || port > 65535 {
				return nil, fieldError("match.ports", "got %d, expected 1-65535", port)
			}
			sel.Ports = append(sel.Ports, &typev1beta1.PortSelector{Number: port})
		}
		spec.Match = []*extv1alpha1.WasmPlugin_TrafficSelector{sel}
	}
	if len(strings.TrimSpace(string(o.Config))) > 0 {
		st := &structpb.Struct{}
		if err := protojson.Unmarshal(o.Config, st); err != nil {
			return nil, fmt.Errorf("pluginConfig: %v; expected a JSON or YAML object", err)
		}
		if len(st.Fields) > 0 {
			spec.PluginConfig = st
		}
	}
	return &clientext.WasmPlugin{
		TypeMeta:   metav1.TypeMeta{APIVersion: "extensions.istio.io/v1alpha1", Kind: "WasmPlugin"},
		ObjectMeta: metav1.ObjectMeta{Name: o.Name, Namespace: o.Namespace},
		Spec:       *spec.DeepCopy(),
	}, nil
}

// PluginConfigJSON returns the exact JSON the plugin receives on configure: istiod
// sends pluginConfig to Envoy as JSON text.
func PluginConfigJSON(wp *clientext.WasmPlugin) ([]byte, error) {
	if wp.Spec.PluginConfig == nil {
		return []byte{}, nil
	}
	return protojson.Marshal(wp.Spec.PluginConfig)
}

// PluginConfigFromJSON returns the exact JSON the plugin receives for a config given
// as a JSON object: the bytes istiod produces from spec.pluginConfig (empty for {}).
func PluginConfigFromJSON(config []byte) ([]byte, error) {
	if len(strings.TrimSpace(string(config))) == 0 {
		return []byte{}, nil
	}
	st := &structpb.Struct{}
	if err := protojson.Unmarshal(config, st); err != nil {
		return nil, fmt.Errorf("pluginConfig: %v; expected a JSON or YAML object", err)
	}
	if len(st.Fields) == 0 {
		return []byte{}, nil
	}
	return protojson.Marshal(st)
}

// ConfigToJSON accepts a plugin config file in JSON or YAML and returns JSON; a key given twice and broken
// JSON (with its line and column) are refused.
func ConfigToJSON(b []byte) ([]byte, error) {
	j, err := configdoc.ToJSON(b)
	if err != nil {
		return nil, fmt.Errorf("plugin config: %w", err)
	}
	if s := strings.TrimSpace(string(j)); s == "null" || s == "" {
		return []byte("{}"), nil
	}
	var obj map[string]any
	if err := json.Unmarshal(j, &obj); err != nil {
		return nil, fmt.Errorf("plugin config: got %s, expected a JSON/YAML object", firstChars(j))
	}
	return j, nil
}

func firstChars(b []byte) string {
	if len(b) > 40 {
		return string(b[:40]) + "..."
	}
	return string(b)
}
