package cli

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/laneway/laneway/packager/filterconfig"
	"github.com/laneway/laneway/packager/istiores"
	"github.com/laneway/laneway/packager/ociimage"
)

type wasmPluginOptions struct {
	formatOptions
	remoteOptions
	filterOptions
	config                 configOptions
	roles                  roleConfigOptions // --<role>-config, for the combined module
	image, sha256          string
	name, namespace        string
	selector, targetRefs   []string
	phase, matchMode       string
	priority               int32
	ports                  []uint
	failStrategy           string
	pullSecret, pullPolicy string
	pluginName, pluginType string
	waypoints              []string
	collectorService       string
	clusterDomain          string

	// Set by validate: the plugin config as istiod hands it over, and the resource's options.
	configJSON []byte
	resource   istiores.WasmPluginOptions
}

// wasmPluginFlags names the flag that sets each WasmPlugin field, for error messages.
var wasmPluginFlags = map[string]string{
	"name": "--name", "namespace": "--namespace", "image": "--image", "sha256": "--sha256",
	"selector": "--selector", "targetRefs": "--target-ref", "selector and targetRefs": "--selector and --target-ref",
	"pluginName": "--plugin-name", "imagePullSecret": "--pull-secret", "match.ports": "--port",
	"match.mode": "--match-mode", "phase": "--phase", "failStrategy": "--fail-strategy",
	"imagePullPolicy": "--pull-policy", "type": "--type",
}

var defaultTargetGroups = map[string]string{
	"Gateway":      "gateway.networking.k8s.io",
	"GatewayClass": "gateway.networking.k8s.io",
	"Service":      "",
	"ServiceEntry": "networking.istio.io",
}

func newWasmPluginCommand(s Streams) *cobra.Command {
	o := wasmPluginOptions{
		formatOptions: formats("yaml", "json"),
		filterOptions: filterOptions{fromArg: true},
		config: configOptions{usage: "plugin config file, JSON or YAML (default: empty config, the filter's defaults)",
			expected: "the plugin config file (JSON or YAML), or no --config for the filter's defaults"},
	}
	cmd := &cobra.Command{
		Use:   "wasmplugin FILTER --image REF [--config FILE]",
		Short: "Write an Istio WasmPlugin for a filter, pinned by image digest",
		Long: `Wasmplugin writes an extensions.istio.io/v1alpha1 WasmPlugin for one of laneway's filters
(` + strings.Join(filterconfig.Names(), ", ") + `).

The plugin config (--config, JSON or YAML) is validated with the filter's own ParseConfig, on the
exact JSON istiod will hand to the plugin, before anything is written; an invalid config names
the offending field. The image is pinned by its manifest digest (spec.sha256): pass --sha256
(printed by 'laneway push') to write the resource offline, or let the command pull the image (a
tag or a REF@sha256:... reference) as Istio would to resolve and check the digest. A pulled image
must hold FILTER (its dev.laneway.filter annotation and the module's laneway.filter section, both
written by 'laneway build' and 'laneway push'); with --sha256 nothing is pulled, so check the
image first with 'laneway verify REF --filter FILTER'.

The combined module laneway runs tenantroute, shadowtag and synthetic in one VM per worker, one
entry into Go per callback and one header read per request, in a fixed order (synthetic,
shadowtag, tenantroute) that makes ordering plugins by hand unnecessary: deploy it as ONE
WasmPlugin. Give each role the file its own command takes, --tenantroute-config,
--shadowtag-config, --synthetic-config (a role without one is off), or the whole
{"tenantroute":{...},"shadowtag":{...},"synthetic":{...}} document with --config. Each role's
config is checked by its filter's own ParseConfig and for the position, as alone.

Defaults:
  --fail-strategy FAIL_OPEN: laneway's filters are not security controls. If the module cannot be
    fetched or crashes, Istio then skips the filter (requests go to the baseline) instead of
    answering every request with 403/503 (FAIL_CLOSE). Use FAIL_CLOSE for a filter that must never
    be bypassed, e.g. tenantroute enforcing a trust boundary at the ingress gateway.
  --match-mode: CLIENT for routing filters (tenantroute), since routing happens in the caller's
    outbound sidecar or at a gateway; all traffic for the others. For laneway, CLIENT when every
    role it runs is caller-side or edge (tenantroute; shadowtag and synthetic in mode outbound or
    edge), all traffic otherwise. On a waypoint it is left unset:
    Istio installs a waypoint's plugins with the SERVER traffic class, so CLIENT would never apply.

Waypoints (Istio ambient mode): --waypoint NAME attaches the plugin to the waypoint Gateway NAME (every
service using it); --target-ref Service/NAME to one service's traffic through its waypoint (Istio
supports Service targets only for waypoints). The config is checked for that position: shadowtag and
synthetic need mode "waypoint" there (and only there), and tenantroute refuses trustBoundary and
workloadTenant, which cannot work on a waypoint.`,
		Example: `  # WasmPlugin for tenantroute on the workloads labelled app=svc-a
  laneway wasmplugin tenantroute --image registry.example.com/laneway/tenantroute:v1 \
    --sha256 3f1c... --config tenantroute.yaml --namespace shop --selector app=svc-a

  # All three roles in one plugin on svc-a's outbound sidecar traffic (one VM per worker)
  laneway wasmplugin laneway --image registry.example.com/laneway/laneway:v1 --sha256 7d2e... \
    --tenantroute-config tenantroute.yaml --synthetic-config synthetic-outbound.yaml \
    --shadowtag-config shadowtag-outbound.yaml --namespace shop --selector app=svc-a

  # Ambient mode: tenantroute on the waypoint named waypoint in namespace shop
  laneway wasmplugin tenantroute --image registry.example.com/laneway/tenantroute:v1 \
    --sha256 3f1c... --namespace shop --waypoint waypoint

  # shadowtag-compare on the candidate, the collector's cluster name and authority filled from its Service
  laneway wasmplugin shadowtag-compare --image registry.example.com/laneway/shadowtag-compare:v1 \
    --sha256 9a0b... --config candidate.yaml --collector-service laneway-compare.shop:8080 \
    --namespace shop --selector app=orders --selector version=v2

  # Attach to a Gateway, fail closed, resolve the digest by pulling the image
  laneway wasmplugin tenantroute --image localhost:5000/laneway/tenantroute:dev \
    --target-ref Gateway/public --namespace istio-ingress --fail-strategy FAIL_CLOSE --phase AUTHN`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, _ []string) error { return runWasmPlugin(cmd.Context(), s, &o) },
	}
	return withOptions(cmd, &o.formatOptions, &o.filterOptions, &o.remoteOptions, &o.config, &o.roles, &o)
}

func (o *wasmPluginOptions) applyFlags(fl *pflag.FlagSet) {
	fl.StringVar(&o.image, "image", "", "image reference (registry/repo:tag or registry/repo@sha256:...)")
	fl.StringVar(&o.sha256, "sha256", "", "manifest digest hex to pin (default: resolved by pulling the image)")
	fl.StringVar(&o.name, "name", "", "WasmPlugin name (default: the filter name)")
	fl.StringVarP(&o.namespace, "namespace", "n", "", "namespace (the mesh root namespace applies it mesh-wide)")
	fl.StringArrayVar(&o.selector, "selector", nil, "workload label KEY=VALUE (repeatable); exclusive with --target-ref")
	fl.StringArrayVar(&o.targetRefs, "target-ref", nil, "[GROUP/]KIND/NAME of a Gateway, GatewayClass, Service (waypoint) or ServiceEntry (repeatable)")
	fl.StringVar(&o.phase, "phase", "", "AUTHN, AUTHZ or STATS (default: unspecified, just before the router)")
	fl.Int32Var(&o.priority, "priority", 0, "order within the phase, higher first (default: unset, after any explicit priority)")
	fl.StringVar(&o.matchMode, "match-mode", "", "CLIENT, SERVER or CLIENT_AND_SERVER (default: CLIENT for tenantroute and caller-side laneway configs, all traffic otherwise)")
	fl.UintSliceVar(&o.ports, "port", nil, "only apply on this `PORT` (repeatable; default: every port)")
	fl.Lookup("port").DefValue = "" // an empty list: no "(default [])" in the help
	fl.StringVar(&o.failStrategy, "fail-strategy", "FAIL_OPEN", "FAIL_OPEN, FAIL_CLOSE or FAIL_RELOAD (see above)")
	fl.StringVar(&o.pullSecret, "pull-secret", "", "kubernetes.io/dockerconfigjson Secret in the WasmPlugin's namespace")
	fl.StringVar(&o.pullPolicy, "pull-policy", "", "IfNotPresent or Always (default: Istio's, IfNotPresent unless the tag is :latest)")
	fl.StringVar(&o.pluginName, "plugin-name", "", "Envoy root_id (default: the filter name)")
	fl.StringVar(&o.pluginType, "type", "", "HTTP (default) or NETWORK")
	fl.StringArrayVar(&o.waypoints, "waypoint", nil, "attach to this waypoint Gateway (ambient mode; repeatable); the config is checked for a waypoint")
	fl.StringVar(&o.collectorService, "collector-service", "", collectorServiceHelp)
	fl.StringVar(&o.clusterDomain, "cluster-domain", "cluster.local", "Kubernetes DNS domain in the collector's names (--collector-service)")
}

// validate checks the image reference and the plugin config (with the filter's own ParseConfig, for the
// position the targets give it), and turns the flags into the resource's options.
func (o *wasmPluginOptions) validate(cmd *cobra.Command, _ []string) error {
	f := o.filter
	if o.image == "" {
		return fmt.Errorf("--image: got nothing, expected the image reference printed by `laneway push`")
	}
	if _, err := ociimage.ParseReference(o.image, ociimage.RemoteOptions{}); err != nil {
		return fmt.Errorf("--image: %w", err)
	}
	configJSON, combined, err := o.roles.combinedConfig(f.Name, o.config.path)
	if err != nil {
		return err
	}
	o.configJSON = configJSON
	if o.config.path != "" {
		if o.configJSON, err = istiores.ConfigToJSON(o.config.data); err != nil {
			return fmt.Errorf("--config %s: %w", o.config.path, err)
		}
	}
	if o.collectorService != "" {
		if o.configJSON, err = fillCollector(f.Name, o.configJSON, o.collectorService, o.clusterDomain); err != nil {
			return err
		}
	}
	pluginJSON, err := istiores.PluginConfigFromJSON(o.configJSON)
	if err != nil {
		return fmt.Errorf("--config %s: %w", o.config.path, err)
	}
	pos, err := o.position()
	if err != nil {
		return err
	}
	if err := f.CheckPosition(pluginJSON, pos); err != nil {
		src := "the empty plugin config"
		switch {
		case o.config.path != "":
			src = "--config " + o.config.path
		case combined:
			src = "the config of " + strings.Join(o.roles.flags(), ", ")
		}
		return fmt.Errorf("%s is rejected by %s.ParseConfig: %w; fix the config so the filter can start (it would fail on_configure in Envoy)", src, f.Name, err)
	}
	opts := istiores.WasmPluginOptions{
		Name: o.name, Namespace: o.namespace, Image: o.image, Digest: o.sha256,
		PluginName: o.pluginName, Phase: o.phase, MatchMode: o.matchMode,
		FailStrategy: o.failStrategy, PullPolicy: o.pullPolicy, ImagePullSecret: o.pullSecret,
		Type: o.pluginType, Config: o.configJSON,
	}
	if opts.Name == "" {
		opts.Name = f.Name
	}
	if opts.PluginName == "" {
		opts.PluginName = f.Name
	}
	switch {
	case pos == filterconfig.Waypoint && o.matchMode == "CLIENT":
		return fmt.Errorf("--match-mode: got CLIENT for a waypoint, expected SERVER or none: Istio installs a waypoint's plugins with the SERVER traffic class, so a CLIENT plugin would never run there")
	case pos == filterconfig.Waypoint && !cmd.Flags().Changed("match-mode"):
		opts.MatchMode = "" // the filter's sidecar default (CLIENT for tenantroute) never applies on a waypoint
	case !cmd.Flags().Changed("match-mode"):
		opts.MatchMode = f.MatchModeFor(pluginJSON)
	}
	if cmd.Flags().Changed("priority") {
		p := o.priority
		opts.Priority = &p
	}
	for _, p := range o.ports {
		opts.MatchPorts = append(opts.MatchPorts, uint32(p))
	}
	if opts.Selector, err = parseKeyValues("--selector", o.selector); err != nil {
		return err
	}
	for _, w := range o.waypoints {
		opts.TargetRefs = append(opts.TargetRefs, istiores.TargetRef{Group: "gateway.networking.k8s.io", Kind: "Gateway", Name: w})
	}
	for _, tr := range o.targetRefs {
		ref, err := parseTargetRef(tr)
		if err != nil {
			return err
		}
		opts.TargetRefs = append(opts.TargetRefs, ref)
	}
	// Everything local is checked before anything is pulled: the resource is generated once here, with a
	// stand-in digest when the digest is to be pulled (or the one in the image reference), so a bad flag
	// fails at once.
	dry := opts
	if dry.Digest == "" && !strings.Contains(o.image, "@sha256:") {
		dry.Digest = strings.Repeat("0", 64)
	}
	if _, err := istiores.WasmPlugin(dry); err != nil {
		return istiores.RenameField(err, wasmPluginFlags)
	}
	o.resource = opts
	return nil
}

// runWasmPlugin pins the image's digest (pulling it when --sha256 is not given) and writes the WasmPlugin.
func runWasmPlugin(ctx context.Context, s Streams, o *wasmPluginOptions) error {
	p := newPrinter(s, o.format)
	opts := o.resource
	if opts.Digest == "" {
		digest, err := o.pinDigest(ctx, s.In, p)
		if err != nil {
			return err
		}
		opts.Digest = digest
	}
	wp, err := istiores.WasmPlugin(opts)
	if err != nil {
		return istiores.RenameField(err, wasmPluginFlags)
	}
	return p.resources(oneOrList, wp)
}

// pinDigest pulls the image as Istio's agent would, also for REF@sha256: a digest there may be an image
// index's, and Istio checks the digest of the linux/amd64 image the index points at. The image must hold
// the filter.
func (o *wasmPluginOptions) pinDigest(ctx context.Context, in io.Reader, p *printer) (string, error) {
	ropts, ctx, cancel, err := o.connect(ctx, in)
	if err != nil {
		return "", err
	}
	defer cancel()
	p.progress("No --sha256 given: pulling %s as Istio would to pin its digest", o.image)
	ex, err := ociimage.Fetch(ctx, o.image, ropts)
	if err != nil {
		return "", fmt.Errorf("%w (or pass --sha256 to skip pulling)", err)
	}
	digest := ex.ManifestDigest.Hex
	if i := strings.Index(o.image, "@sha256:"); i >= 0 && o.image[i+len("@sha256:"):] != digest {
		return "", fmt.Errorf("--image: got %s, which pins an image index; Istio's agent checks the digest of the linux/amd64 image it selects, sha256:%s, so this WasmPlugin would always fail its checksum: expected %s@sha256:%s", o.image, digest, o.image[:i], digest)
	}
	if err := ex.RequireFilter(o.image, o.filter.Name); err != nil {
		return "", err
	}
	return digest, nil
}

// position says whether the plugin targets waypoints (--waypoint, or Service targetRefs, which Istio
// supports only for waypoints) or sidecars and gateways; a plugin cannot mix them, since each filter's
// config means something else in each.
func (o *wasmPluginOptions) position() (filterconfig.Position, error) {
	waypoint, other := len(o.waypoints) > 0, len(o.selector) > 0
	for _, tr := range o.targetRefs {
		ref, err := parseTargetRef(tr)
		if err != nil {
			return 0, err
		}
		if ref.Kind == "Service" && ref.Group == "" {
			waypoint = true
		} else {
			other = true
		}
	}
	switch {
	case waypoint && other:
		return 0, fmt.Errorf("targets: got waypoint targets (--waypoint, --target-ref Service/...) together with sidecar or gateway targets, expected one kind per WasmPlugin: a filter's config means something else on a waypoint; write one WasmPlugin per kind")
	case waypoint:
		return filterconfig.Waypoint, nil
	}
	return filterconfig.Sidecar, nil
}

// parseTargetRef parses [GROUP/]KIND/NAME, defaulting the group from the kind.
func parseTargetRef(s string) (istiores.TargetRef, error) {
	parts := strings.Split(s, "/")
	switch len(parts) {
	case 2:
		g, ok := defaultTargetGroups[parts[0]]
		if !ok {
			return istiores.TargetRef{}, fmt.Errorf("--target-ref: got kind %q, expected Gateway, GatewayClass, Service or ServiceEntry (or GROUP/KIND/NAME)", parts[0])
		}
		return istiores.TargetRef{Group: g, Kind: parts[0], Name: parts[1]}, nil
	case 3:
		return istiores.TargetRef{Group: parts[0], Kind: parts[1], Name: parts[2]}, nil
	}
	return istiores.TargetRef{}, fmt.Errorf("--target-ref: got %q, expected KIND/NAME or GROUP/KIND/NAME, e.g. Gateway/public", s)
}
