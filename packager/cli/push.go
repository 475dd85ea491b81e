package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/laneway/laneway/packager/ociimage"
)

type pushOptions struct {
	formatOptions
	remoteOptions
	ociLayout   string
	annotations map[string]string
	rawAnnot    []string
	// module is what to push (FILE.wasm or FILTER); ref where, "" for the default OCI layout.
	module, ref string
}

type pushResult struct {
	Reference string `json:"reference"`
	imagePin
	URL       string `json:"url,omitempty"`
	OCILayout string `json:"ociLayout,omitempty"`
	Size      int    `json:"moduleSize"`
	envoyNeeds
}

func newPushCommand(s Streams) *cobra.Command {
	o := pushOptions{formatOptions: formats("text", "json", "yaml")}
	cmd := &cobra.Command{
		Use:   "push FILE.wasm|FILTER [REF]",
		Short: "Package a module as an OCI image Istio accepts and push it",
		Long: `Push packages a Wasm module the way Istio's agent reads it: an OCI image manifest (never an
index) with one gzip tar layer (application/vnd.oci.image.layer.v1.tar+gzip) holding plugin.wasm.
The image is reproducible byte for byte, so pushing the same module twice gives the same digest.

The module is inspected first and refused if no supported Envoy can load it. Blobs are uploaded
before the manifest, so a failed push never leaves a tag behind; the pushed image is then pulled
back and extracted with Istio's rules. The printed sha256 is the manifest digest, the value
WasmPlugin.spec.sha256 must hold.

Credentials come from the docker config (docker login, credential helpers) unless --username and
--password-stdin are given. Registries on localhost/127.0.0.1 are reached over plain HTTP.

Without REF, or with --oci-layout DIR, the image is written to an OCI image layout directory
(default: dist/oci) under the tag REF (default: the filter name).`,
		Example: `  # Push a built filter to a registry
  laneway push tenantroute registry.example.com/laneway/tenantroute:v1

  # Push a file to a local registry and print JSON
  laneway push ./dist/tenantroute.wasm localhost:5000/laneway/tenantroute:dev --format json

  # Push with explicit credentials
  echo "$TOKEN" | laneway push tenantroute ghcr.io/acme/tenantroute:v1 -u acme --password-stdin

  # Write to an OCI layout directory instead of a registry
  laneway push tenantroute v1 --oci-layout ./oci`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, _ []string) error { return runPush(cmd.Context(), s, &o) },
	}
	return withOptions(cmd, &o.formatOptions, &o.remoteOptions, &o)
}

func (o *pushOptions) applyFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.ociLayout, "oci-layout", "", "write to this OCI image layout directory instead of a registry (REF is then the tag)")
	fs.StringArrayVar(&o.rawAnnot, "annotation", nil, "manifest annotation KEY=VALUE (repeatable), e.g. org.opencontainers.image.source=https://...")
}

func (o *pushOptions) validate(_ *cobra.Command, args []string) error {
	o.module, o.ref = args[0], ""
	if len(args) == 2 {
		o.ref = args[1]
	}
	if o.toRegistry() {
		if _, err := ociimage.ParseReference(o.ref, ociimage.RemoteOptions{PlainHTTP: o.plainHTTP}); err != nil {
			return err
		}
	}
	var err error
	o.annotations, err = parseKeyValues("--annotation", o.rawAnnot)
	return err
}

// toRegistry says whether the image goes to a registry rather than an OCI layout.
func (o *pushOptions) toRegistry() bool { return o.ref != "" && o.ociLayout == "" }

func runPush(ctx context.Context, s Streams, o *pushOptions) error {
	p := newPrinter(s, o.format)
	m, err := loadModule(o.module)
	if err != nil {
		return err
	}
	rep, err := checkModule(ctx, m.Path, m.Bytes)
	if err != nil {
		if rep != nil {
			return fmt.Errorf("refusing to push %w", err)
		}
		return err
	}
	img, err := ociimage.Build(m.Bytes, ociimage.BuildOptions{Annotations: o.annotations})
	if err != nil {
		return err
	}
	res := pushResult{Size: len(m.Bytes), envoyNeeds: needsOf(rep)}
	if !o.toRegistry() {
		dir := o.ociLayout
		if dir == "" {
			dir = filepath.Join(distDir(), "oci")
		}
		tag := m.Filter
		if o.ref != "" {
			tag = o.ref
		}
		p.progress("Writing %s (%d bytes) to OCI layout %s as %s", m.Path, len(m.Bytes), dir, tag)
		d, err := ociimage.WriteLayout(dir, tag, img)
		if err != nil {
			return err
		}
		res.Reference, res.OCILayout, res.imagePin = tag, dir, pinOf(d)
	} else {
		ref := o.ref
		ropts, ctx, cancel, err := o.connect(ctx, s.In)
		if err != nil {
			return err
		}
		defer cancel()
		start := time.Now()
		p.progress("Pushing %s (%d bytes, layer %d bytes) to %s", m.Path, len(m.Bytes), len(img.LayerBlob), ref)
		d, err := ociimage.Push(ctx, ref, img, ropts)
		if err != nil {
			return err
		}
		p.progress("Pushed in %v; pulling back with Istio's rules", time.Since(start).Round(time.Millisecond))
		ex, err := ociimage.Fetch(ctx, withDigest(ref, d.String()), ropts)
		if err != nil {
			return fmt.Errorf("pushed %s but could not read it back as Istio would: %w", ref, err)
		}
		if ex.ManifestDigest != d || !bytes.Equal(ex.Module, m.Bytes) {
			return fmt.Errorf("pushed %s but the registry returned different content (digest %s, expected %s); check for a proxy rewriting manifests", ref, ex.ManifestDigest, d)
		}
		res.Reference, res.imagePin = ref, pinOf(d)
		res.URL = "oci://" + strings.TrimPrefix(ref, "oci://")
	}
	return p.report(res, func(w io.Writer) error {
		fmt.Fprintf(w, "Pushed: %s\n", res.Reference)
		if res.OCILayout != "" {
			fmt.Fprintf(w, "Layout: %s\n", res.OCILayout)
		}
		return writePinned(w, res.imagePin, res.envoyNeeds)
	})
}

// withDigest replaces the tag of ref with a digest.
func withDigest(ref, digest string) string {
	ref = strings.TrimPrefix(ref, "oci://")
	if i := strings.Index(ref, "@"); i >= 0 {
		ref = ref[:i]
	}
	if slash, colon := strings.LastIndex(ref, "/"), strings.LastIndex(ref, ":"); colon > slash {
		ref = ref[:colon]
	}
	return ref + "@" + digest
}

// parseKeyValues parses KEY=VALUE flag values.
func parseKeyValues(flag string, vals []string) (map[string]string, error) {
	if len(vals) == 0 {
		return nil, nil
	}
	out := make(map[string]string, len(vals))
	for _, v := range vals {
		k, val, ok := strings.Cut(v, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("%s: got %q, expected KEY=VALUE", flag, v)
		}
		out[k] = val
	}
	return out, nil
}
