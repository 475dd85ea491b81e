// Package comparemanifest writes the Kubernetes and Istio resources of laneway's compare
// collector: a Deployment running `laneway compare serve`, its Service, and a DestinationRule
// with consistent hashing (Maglev) so the captures of one request meet in one replica.
//
// How the captures of one request meet: shadowtag sends batches with Envoy's dispatch_http_call,
// which hashes on the call's :authority whatever the route or DestinationRule says (Envoy's
// Context::httpCall sets that hash policy), and a batch holds many request ids. So shadowtag
// groups captures by shard of the request id and gives each shard's batches the :authority
// "<shard>.<authority>" (shadowtag compare.shards); the DestinationRule makes the collector's
// cluster a consistent-hash one (Istio turns consistentHash with maglev into lb_policy MAGLEV,
// without it into RING_HASH), so every sidecar maps a shard to the same replica. The hash key
// (x-request-id) applies to routed requests only, e.g. a client posting captures itself.
package comparemanifest

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	netv1alpha3 "istio.io/api/networking/v1alpha3"
	clientnet "istio.io/client-go/pkg/apis/networking/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
)

// Defaults of Options.
const (
	DefaultName     = "laneway-compare"
	DefaultPort     = 8080
	DefaultReplicas = 2
	DefaultMemory   = "512Mi"
	// HashHeader is the header the DestinationRule hashes routed requests on: Envoy keeps it on
	// mirrored copies. Wasm dispatch_http_call hashes on :authority instead (see the package doc).
	HashHeader = "x-request-id"
	// ShardsPerReplica is the shadowtag compare.shards SuggestedShards recommends per replica:
	// with a few hash keys per replica the consistent hash spreads shards evenly enough.
	ShardsPerReplica = 4
	// MaxShards is shadowtag's upper bound of compare.shards.
	MaxShards = 64
)

// Options describe the collector deployment.
type Options struct {
	// Name of every object and the app label (DefaultName when empty).
	Name      string
	Namespace string
	// Image holds the laneway binary (its entrypoint is `laneway`).
	Image    string
	Replicas int32
	Port     int32
	// Memory is the container's memory request and limit; size it with --max-pairs (bytes/pair is
	// in the compare benchmarks).
	Memory string
	// ServeArgs are extra `laneway compare serve` flags, e.g. --max-pairs=20000.
	ServeArgs []string
}

// Objects returns the Deployment, Service and DestinationRule, in that order.
func Objects(o Options) (*appsv1.Deployment, *corev1.Service, *clientnet.DestinationRule, error) {
	if o.Name == "" {
		o.Name = DefaultName
	}
	if o.Port == 0 {
		o.Port = DefaultPort
	}
	if o.Replicas == 0 {
		o.Replicas = DefaultReplicas
	}
	if o.Memory == "" {
		o.Memory = DefaultMemory
	}
	if errs := validation.IsDNS1035Label(o.Name); len(errs) > 0 {
		return nil, nil, nil, fmt.Errorf("name: got %q, expected a Service name (%s)", o.Name, strings.Join(errs, "; "))
	}
	if errs := validation.IsDNS1123Label(o.Namespace); len(errs) > 0 {
		return nil, nil, nil, fmt.Errorf("namespace: got %q, expected the namespace the collector runs in (%s)", o.Namespace, strings.Join(errs, "; "))
	}
	if _, err := name.ParseReference(o.Image, name.StrictValidation); err != nil || strings.Contains(o.Image, "://") {
		return nil, nil, nil, fmt.Errorf("image: got %q, expected an image reference holding the laneway binary, e.g. ghcr.io/acme/laneway:v1 (%v)", o.Image, err)
	}
	if o.Replicas < 1 {
		return nil, nil, nil, fmt.Errorf("replicas: got %d, expected at least 1", o.Replicas)
	}
	if o.Port < 1 || o.Port > 65535 {
		return nil, nil, nil, fmt.Errorf("port: got %d, expected 1-65535", o.Port)
	}
	mem, err := resource.ParseQuantity(o.Memory)
	if err != nil || mem.Sign() <= 0 {
		return nil, nil, nil, fmt.Errorf("memory: got %q, expected a Kubernetes quantity such as 512Mi", o.Memory)
	}
	for _, a := range o.ServeArgs {
		if !strings.HasPrefix(a, "--") || strings.HasPrefix(a, "--listen") {
			return nil, nil, nil, fmt.Errorf("serve argument: got %q, expected a `laneway compare serve` flag as --name=value (not --listen: the port is --port)", a)
		}
	}

	labels := map[string]string{"app.kubernetes.io/name": o.Name, "app.kubernetes.io/managed-by": "laneway"}
	selector := map[string]string{"app.kubernetes.io/name": o.Name}
	meta := func() metav1.ObjectMeta {
		return metav1.ObjectMeta{Name: o.Name, Namespace: o.Namespace, Labels: copyMap(labels)}
	}
	args := append([]string{"compare", "serve", "--listen=:" + strconv.Itoa(int(o.Port))}, o.ServeArgs...)
	probe := &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/healthz", Port: intstr.FromString("http")}}}
	no, yes := false, true
	uid := int64(65532)
	dep := &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: meta(),
		Spec: appsv1.DeploymentSpec{
			Replicas: &o.Replicas,
			Selector: &metav1.LabelSelector{MatchLabels: selector},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: copyMap(labels)},
				Spec: corev1.PodSpec{
					SecurityContext: &corev1.PodSecurityContext{RunAsNonRoot: &yes, RunAsUser: &uid},
					Containers: []corev1.Container{{
						Name:  "collector",
						Image: o.Image,
						Args:  args,
						Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: o.Port, Protocol: corev1.ProtocolTCP}},
						Resources: corev1.ResourceRequirements{
							Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: mem},
							Limits:   corev1.ResourceList{corev1.ResourceMemory: mem},
						},
						ReadinessProbe: probe,
						LivenessProbe:  probe,
						SecurityContext: &corev1.SecurityContext{AllowPrivilegeEscalation: &no, ReadOnlyRootFilesystem: &yes,
							Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}},
					}},
				},
			},
		},
	}
	appProto := "http"
	svc := &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: meta(),
		Spec: corev1.ServiceSpec{
			Selector: selector,
			Ports: []corev1.ServicePort{{Name: "http", Port: o.Port, TargetPort: intstr.FromString("http"),
				Protocol: corev1.ProtocolTCP, AppProtocol: &appProto}},
		},
	}
	dr := &clientnet.DestinationRule{
		TypeMeta:   metav1.TypeMeta{APIVersion: "networking.istio.io/v1", Kind: "DestinationRule"},
		ObjectMeta: meta(),
		Spec: netv1alpha3.DestinationRule{
			Host: Host(svc, ""),
			TrafficPolicy: &netv1alpha3.TrafficPolicy{LoadBalancer: &netv1alpha3.LoadBalancerSettings{
				LbPolicy: &netv1alpha3.LoadBalancerSettings_ConsistentHash{ConsistentHash: &netv1alpha3.LoadBalancerSettings_ConsistentHashLB{
					HashKey: &netv1alpha3.LoadBalancerSettings_ConsistentHashLB_HttpHeaderName{HttpHeaderName: HashHeader},
					// Maglev: Istio sets the cluster's lb_policy MAGLEV, which hashes a dispatch_http_call's
					// :authority (one per capture shard) to the same replica on every sidecar.
					HashAlgorithm: &netv1alpha3.LoadBalancerSettings_ConsistentHashLB_Maglev{Maglev: &netv1alpha3.LoadBalancerSettings_ConsistentHashLB_MagLev{}},
				}},
			}},
		},
	}
	return dep, svc, dr, nil
}

// SuggestedShards is the shadowtag compare.shards for a collector of this many replicas:
// ShardsPerReplica per replica, at most MaxShards.
func SuggestedShards(replicas int32) int {
	return min(max(int(replicas), 1)*ShardsPerReplica, MaxShards)
}

func copyMap(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
