package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/laneway/laneway/packager/comparemanifest"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"
)

// collectorServiceHelp is the help of wasmplugin's --collector-service.
const collectorServiceHelp = "shadowtag-compare: the collector's Service as NAME.NAMESPACE:PORT; fills compare.collector.cluster " +
	"(Istio's outbound|PORT||NAME.NAMESPACE.svc.DOMAIN) and .authority (NAME.NAMESPACE.svc.DOMAIN:PORT)"

// fillCollector sets compare.collector.cluster and compare.collector.authority in a shadowtag-compare config from
// the collector's Service, the names Istio gives it (comparemanifest.ClusterName); values the config already
// has must agree.
func fillCollector(filter string, configJSON []byte, service, domain string) ([]byte, error) {
	const want = "the collector Service as NAME.NAMESPACE:PORT, e.g. laneway-compare.shop:8080 (what `laneway compare manifest` deploys)"
	if filter != "shadowtag-compare" {
		return nil, fmt.Errorf("--collector-service: given for %s, expected only with shadowtag-compare (the module that sends compare captures)", filter)
	}
	hostPart, portPart, ok := strings.Cut(service, ":")
	name, ns, ok2 := strings.Cut(hostPart, ".")
	port, err := strconv.Atoi(portPart)
	switch {
	case !ok || !ok2 || err != nil || port < 1 || port > 65535:
		return nil, fmt.Errorf("--collector-service: got %q, expected %s", service, want)
	case len(validation.IsDNS1035Label(name)) > 0 || len(validation.IsDNS1123Label(ns)) > 0:
		return nil, fmt.Errorf("--collector-service: got %q, expected %s (NAME a Service name, NAMESPACE a namespace)", service, want)
	}
	svc := &corev1.Service{}
	svc.Name, svc.Namespace = name, ns
	svc.Spec.Ports = []corev1.ServicePort{{Port: int32(port)}}
	cluster, err := comparemanifest.ClusterName(svc, int32(port), domain)
	if err != nil {
		return nil, fmt.Errorf("--collector-service: %w", err)
	}
	authority := comparemanifest.Host(svc, domain) + ":" + portPart

	var doc map[string]any
	dec := json.NewDecoder(bytes.NewReader(configJSON))
	dec.UseNumber()
	if len(bytes.TrimSpace(configJSON)) == 0 || dec.Decode(&doc) != nil || doc == nil {
		return nil, fmt.Errorf("--collector-service: the plugin config has no compare section to fill; expected --config with at least {\"mode\": \"inbound\", \"compare\": {\"role\": \"primary\"}}")
	}
	cmp, ok := doc["compare"].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("--collector-service: the plugin config has no compare section (an object) to fill; add \"compare\": {\"role\": \"primary\" | \"secondary\" | \"candidate\"} to --config")
	}
	col, _ := cmp["collector"].(map[string]any)
	if col == nil {
		if _, present := cmp["collector"]; present {
			return nil, fmt.Errorf("--collector-service: compare.collector in the config is not an object; remove it and let the flag fill it")
		}
		col = map[string]any{}
	}
	for key, v := range map[string]string{"cluster": cluster, "authority": authority} {
		if old, present := col[key]; present && old != v {
			return nil, fmt.Errorf("--collector-service: compare.collector.%s in the config is %v, but service %s is %q; remove the field from the config or the flag", key, old, service, v)
		}
		col[key] = v
	}
	cmp["collector"] = col
	return json.Marshal(doc)
}
