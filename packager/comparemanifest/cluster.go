package comparemanifest

import (
	"fmt"
	"strconv"

	corev1 "k8s.io/api/core/v1"
)

// DefaultClusterDomain is Kubernetes' default DNS domain.
const DefaultClusterDomain = "cluster.local"

// Host returns the Service's fully qualified host as Istio names it: NAME.NAMESPACE.svc.DOMAIN
// (domain DefaultClusterDomain when empty).
func Host(svc *corev1.Service, domain string) string {
	if domain == "" {
		domain = DefaultClusterDomain
	}
	return svc.Name + "." + svc.Namespace + ".svc." + domain
}

// ClusterName returns the Envoy cluster Istio creates for the Service's port, the name
// shadowtag's dispatch_http_call needs: outbound|PORT||HOST (the empty field is the subset).
// port 0 picks the Service's only port.
func ClusterName(svc *corev1.Service, port int32, domain string) (string, error) {
	if svc == nil || svc.Name == "" || svc.Namespace == "" {
		return "", fmt.Errorf("service: got no name or namespace, expected the collector's Service (Istio's cluster name carries both)")
	}
	switch {
	case port == 0 && len(svc.Spec.Ports) == 1:
		port = svc.Spec.Ports[0].Port
	case port == 0:
		return "", fmt.Errorf("port: service %s/%s has %d ports, expected one, or the port to use", svc.Namespace, svc.Name, len(svc.Spec.Ports))
	}
	found := false
	for _, p := range svc.Spec.Ports {
		found = found || p.Port == port
	}
	if !found {
		return "", fmt.Errorf("port: got %d, expected a port of service %s/%s", port, svc.Namespace, svc.Name)
	}
	return "outbound|" + strconv.Itoa(int(port)) + "||" + Host(svc, domain), nil
}
