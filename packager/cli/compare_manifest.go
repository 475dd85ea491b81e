package cli

import (
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/laneway/laneway/packager/comparemanifest"
)

type compareManifestOptions struct {
	formatOptions
	opts   comparemanifest.Options
	domain string
}

func newCompareManifestCommand(s Streams) *cobra.Command {
	o := compareManifestOptions{formatOptions: formats("yaml", "json")}
	cmd := &cobra.Command{
		Use:   "manifest --namespace NS --image IMAGE",
		Short: "Write the collector's Deployment, Service and DestinationRule (consistent hash, Maglev)",
		Long: `manifest writes a Deployment running 'laneway compare serve' from IMAGE (an image whose
entrypoint is the laneway binary), its Service, and a DestinationRule with consistent-hash
load balancing (maglev), so that the captures of one request reach one replica.

How: Envoy sends a Wasm dispatch_http_call with its own hash policy, the call's :authority
(not x-request-id, and a batch carries many request ids). shadowtag therefore groups captures
by shard of the request id (compare.shards) and sends each shard's batches with :authority
"<shard>.<authority>". The DestinationRule's consistentHash with maglev makes Istio give the
collector's cluster lb_policy MAGLEV (without maglev: RING_HASH), so every sidecar sends a
shard, and with it every role's capture of a request, to the same replica. The hash key
x-request-id applies to routed requests only (e.g. a client posting captures itself).
'laneway compare report' and the web page merge every replica.

It prints, on stderr, the Envoy cluster name Istio gives the collector's Service
(outbound|PORT||HOST), the name shadowtag's compare section needs for dispatch_http_call, and
a shards value for the replica count (4 per replica; more shards spread better but make
smaller batches). Raise shards when you add replicas.`,
		Example: `  laneway compare manifest -n shop --image ghcr.io/acme/laneway:v1 > collector.yaml

  # Four replicas, more retention
  laneway compare manifest -n shop --image ghcr.io/acme/laneway:v1 --replicas 4 --memory 2Gi \
    --serve-arg=--max-pairs=50000 --serve-arg=--max-age=10m`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return runCompareManifest(s, &o) },
	}
	return withOptions(cmd, &o.formatOptions, &o)
}

func (o *compareManifestOptions) applyFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.opts.Name, "name", comparemanifest.DefaultName, "name of the Deployment, Service and DestinationRule")
	fs.StringVarP(&o.opts.Namespace, "namespace", "n", "", "namespace the collector runs in")
	fs.StringVar(&o.opts.Image, "image", "", "image whose entrypoint is the laneway binary")
	fs.Int32Var(&o.opts.Replicas, "replicas", comparemanifest.DefaultReplicas, "collector replicas")
	fs.Int32Var(&o.opts.Port, "port", comparemanifest.DefaultPort, "collector port (container and Service)")
	fs.StringVar(&o.opts.Memory, "memory", comparemanifest.DefaultMemory, "memory request and limit of a replica (size it with --max-pairs)")
	fs.StringArrayVar(&o.opts.ServeArgs, "serve-arg", nil, "extra 'laneway compare serve' flag as --name=value (repeatable)")
	fs.StringVar(&o.domain, "cluster-domain", comparemanifest.DefaultClusterDomain, "the cluster's DNS domain, part of the Envoy cluster name")
}

func (o *compareManifestOptions) validate(*cobra.Command, []string) error { return nil }

func runCompareManifest(s Streams, o *compareManifestOptions) error {
	p := newPrinter(s, o.format)
	dep, svc, dr, err := comparemanifest.Objects(o.opts)
	if err != nil {
		return err
	}
	cluster, err := comparemanifest.ClusterName(svc, 0, o.domain)
	if err != nil {
		return err
	}
	p.progress("collector cluster for shadowtag's compare section: %s (authority %s:%d, shards %d)",
		cluster, comparemanifest.Host(svc, o.domain), svc.Spec.Ports[0].Port, comparemanifest.SuggestedShards(*dep.Spec.Replicas))
	return p.resources(oneOrList, dep, svc, dr)
}
