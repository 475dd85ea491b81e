package cli

import (
	"bytes"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/laneway/laneway/packager/ociimage"
	"github.com/laneway/laneway/packager/wasminspect"
)

type pushOptions struct {
	formatOptions
	remoteOptions
	ociLayout   string
	annotations []string
}

type pushResult struct {
	Reference string `json:"reference"`
	// Digest is the manifest digest ("sha256:<hex>").
	Digest string `json:"digest"`
	// SHA256 is the value for WasmPlugin.spec.sha256.
	SHA256    string `json:"sha256"`
	URL       string `json:"url,omitempty"`
	OCILayout string `json:"ociLayout,omitempty"`
	Size      int    `json:"moduleSize"`
	MinEnvoy  string `json:"minEnvoy"`
	MinIstio  string `json:"minIstio"`
}

func newPushCommand(s Streams) *cobra.Command {
	var o pushOptions
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
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.validate(); err != nil {
				return err
			}
			toRegistry := len(args) == 2 && o.ociLayout == ""
			if toRegistry {
				if _, err := ociimage.ParseReference(args[1], ociimage.RemoteOptions{PlainHTTP: o.plainHTTP}); err != nil {
					return err
				}
			}
			m, err := loadModule(args[0])
			if err != nil {
				return err
			}
			rep, err := wasminspect.Inspect(cmd.Context(), m.Bytes)
			if err != nil {
				return fmt.Errorf("%s: %w", m.Path, err)
			}
			if err := rep.Refusal(); err != nil {
				return fmt.Errorf("refusing to push %s: %w", m.Path, err)
			}
			annotations, err := parseKeyValues("--annotation", o.annotations)
			if err != nil {
				return err
			}
			img, err := ociimage.Build(m.Bytes, ociimage.BuildOptions{Annotations: annotations})
			if err != nil {
				return err
			}
			res := pushResult{Size: len(m.Bytes), MinEnvoy: rep.MinEnvoy, MinIstio: rep.MinIstio}
			if !toRegistry {
				dir := o.ociLayout
				if dir == "" {
					dir = filepath.Join(distDir(), "oci")
				}
				tag := m.Filter
				if len(args) == 2 {
					tag = args[1]
				}
				progress(s.Err, "Writing %s (%d bytes) to OCI layout %s as %s", m.Path, len(m.Bytes), dir, tag)
				d, err := ociimage.WriteLayout(dir, tag, img)
				if err != nil {
					return err
				}
				res.Reference, res.OCILayout, res.Digest, res.SHA256 = tag, dir, d.String(), d.Hex
			} else {
				ref := args[1]
				ropts, err := o.resolve(s.In)
				if err != nil {
					return err
				}
				ctx, cancel := o.context(cmd.Context())
				defer cancel()
				start := time.Now()
				progress(s.Err, "Pushing %s (%d bytes, layer %d bytes) to %s", m.Path, len(m.Bytes), len(img.LayerBlob), ref)
				d, err := ociimage.Push(ctx, ref, img, ropts)
				if err != nil {
					return err
				}
				progress(s.Err, "Pushed in %v; pulling back with Istio's rules", time.Since(start).Round(time.Millisecond))
				ex, err := ociimage.Fetch(ctx, withDigest(ref, d.String()), ropts)
				if err != nil {
					return fmt.Errorf("pushed %s but could not read it back as Istio would: %w", ref, err)
				}
				if ex.ManifestDigest != d || !bytes.Equal(ex.Module, m.Bytes) {
					return fmt.Errorf("pushed %s but the registry returned different content (digest %s, expected %s); check for a proxy rewriting manifests", ref, ex.ManifestDigest, d)
				}
				res.Reference, res.Digest, res.SHA256 = ref, d.String(), d.Hex
				res.URL = "oci://" + strings.TrimPrefix(ref, "oci://")
			}
			return o.print(s.Out, res, func(w io.Writer) error {
				fmt.Fprintf(w, "Pushed: %s\n", res.Reference)
				if res.OCILayout != "" {
					fmt.Fprintf(w, "Layout: %s\n", res.OCILayout)
				}
				fmt.Fprintf(w, "Digest: %s\n", res.Digest)
				fmt.Fprintf(w, "WasmPlugin sha256: %s\n", res.SHA256)
				fmt.Fprintf(w, "Needs: Envoy >= %s, Istio >= %s\n", res.MinEnvoy, res.MinIstio)
				return nil
			})
		},
	}
	o.formatOptions.applyFlags(cmd, "text", "json", "yaml")
	o.remoteOptions.applyFlags(cmd)
	cmd.Flags().StringVar(&o.ociLayout, "oci-layout", "", "write to this OCI image layout directory instead of a registry (REF is then the tag)")
	cmd.Flags().StringArrayVar(&o.annotations, "annotation", nil, "manifest annotation KEY=VALUE (repeatable), e.g. org.opencontainers.image.source=https://...")
	return cmd
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
