package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/laneway/laneway/packager/ociimage"
)

var sha256Hex = regexp.MustCompile(`^[a-f0-9]{64}$`)

type verifyOptions struct {
	formatOptions
	remoteOptions
	filterOptions
	ociLayout string
	expect    string
	output    string
	ref       string
}

type verifyResult struct {
	Reference string `json:"reference"`
	Filter    string `json:"filter,omitempty"`
	imagePin
	Variant    string `json:"variant"`
	Size       int    `json:"moduleSize"`
	ABIVersion string `json:"abiVersion"`
	envoyNeeds
	Elapsed string `json:"elapsed"`
}

func newVerifyCommand(s Streams) *cobra.Command {
	o := verifyOptions{formatOptions: formats("text", "json", "yaml")}
	cmd := &cobra.Command{
		Use:   "verify REF",
		Short: "Pull an image as Istio's agent would, extract plugin.wasm and check it",
		Long: `Verify pulls REF with the same rules as Istio's agent (pkg/wasm imagefetcher, go-containerregistry):
an index resolves to its linux/amd64 child; a Docker manifest needs a Docker gzip tar last layer;
an OCI manifest is read as the compat variant (last layer tar+gzip, first entry named plugin.wasm)
or else as the solo two-layer variant. The module must start with the \0asm magic and pass the
same import/export checks as 'laneway inspect'.

It prints the manifest digest: the value WasmPlugin.spec.sha256 must hold (for an index, the
digest of the chosen child, not of the index), and the filter the image holds. An image whose
dev.laneway.filter annotation contradicts its module's laneway.filter section is refused, and so
is, with --filter, an image holding another filter.`,
		Example: `  # Verify an image and print the digest to pin
  laneway verify registry.example.com/laneway/tenantroute:v1

  # Fail unless the image holds tenantroute
  laneway verify registry.example.com/laneway/tenantroute:v1 --filter tenantroute

  # Fail unless the image has the expected digest, and save the module
  laneway verify localhost:5000/laneway/tenantroute:dev --expect-sha256 3f1c... -o plugin.wasm

  # Verify an image in an OCI layout directory (REF is the tag)
  laneway verify tenantroute --oci-layout dist/oci`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, _ []string) error { return runVerify(cmd.Context(), s, &o) },
	}
	return withOptions(cmd, &o.formatOptions, &o.remoteOptions, &o.filterOptions, &o)
}

func (o *verifyOptions) applyFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.ociLayout, "oci-layout", "", "read from this OCI image layout directory instead of a registry (REF is then the tag)")
	fs.StringVar(&o.expect, "expect-sha256", "", "fail unless the manifest digest is this hex value")
	fs.StringVarP(&o.output, "output", "o", "", "also write the extracted module to this file")
}

func (o *verifyOptions) validate(_ *cobra.Command, args []string) error {
	o.ref = args[0]
	if want := strings.TrimPrefix(o.expect, "sha256:"); o.expect != "" && !sha256Hex.MatchString(want) {
		return fmt.Errorf("--expect-sha256: got %q, expected the manifest digest as 64 lower-case hex characters, with or without sha256: (printed by `laneway push`)", o.expect)
	}
	if o.output != "" {
		if st, err := os.Stat(filepath.Dir(o.output)); err != nil || !st.IsDir() {
			return fmt.Errorf("--output: got %s, but its folder %s does not exist; create it or pick another path", o.output, filepath.Dir(o.output))
		}
	}
	return nil
}

func runVerify(ctx context.Context, s Streams, o *verifyOptions) error {
	p := newPrinter(s, o.format)
	res, module, err := o.pull(ctx, s.In, p)
	if err != nil {
		return err
	}
	if o.output != "" {
		if err := os.WriteFile(o.output, module, 0o644); err != nil {
			return fmt.Errorf("write module: %w", err)
		}
		p.progress("Wrote %s (%d bytes)", o.output, len(module))
	}
	return p.report(res, func(w io.Writer) error {
		fmt.Fprintf(w, "Verified: %s (%s variant, %d-byte module, proxy-wasm %s)\n", res.Reference, res.Variant, res.Size, res.ABIVersion)
		if res.Filter != "" {
			fmt.Fprintf(w, "Filter: %s\n", res.Filter)
		}
		return writePinned(w, res.imagePin, res.envoyNeeds)
	})
}

// pull reads the image as Istio's agent would (from the registry or the OCI layout), checks it and its
// module, and returns the result and the module.
func (o *verifyOptions) pull(ctx context.Context, in io.Reader, p *printer) (*verifyResult, []byte, error) {
	ref := o.ref
	start := time.Now()
	var (
		ex  *ociimage.Extracted
		err error
	)
	if o.ociLayout != "" {
		img, lerr := ociimage.ReadLayout(o.ociLayout, ref)
		if lerr != nil {
			return nil, nil, lerr
		}
		if ex, err = ociimage.Extract(img); err != nil {
			return nil, nil, fmt.Errorf("%s in %s: %w", ref, o.ociLayout, err)
		}
	} else {
		ropts, rctx, cancel, rerr := o.connect(ctx, in)
		if rerr != nil {
			return nil, nil, rerr
		}
		defer cancel()
		p.progress("Pulling %s with Istio's rules", ref)
		if ex, err = ociimage.Fetch(rctx, ref, ropts); err != nil {
			return nil, nil, err
		}
	}
	if want := strings.TrimPrefix(o.expect, "sha256:"); want != "" && want != ex.ManifestDigest.Hex {
		return nil, nil, fmt.Errorf("%s: manifest digest is %s, expected %s (--expect-sha256); the tag moved or the wrong image was pushed", ref, ex.ManifestDigest.Hex, want)
	}
	if o.filterName != "" {
		if err := ex.RequireFilter(ref, o.filterName); err != nil {
			return nil, nil, err
		}
	}
	rep, err := checkModule(ctx, ref+": plugin.wasm", ex.Module)
	if err != nil {
		return nil, nil, err
	}
	return &verifyResult{
		Reference: ref, Filter: ex.Filter, imagePin: pinOf(ex.ManifestDigest), Variant: string(ex.Variant),
		Size: len(ex.Module), ABIVersion: rep.ABIVersion, envoyNeeds: needsOf(rep),
		Elapsed: time.Since(start).Round(time.Millisecond).String(),
	}, ex.Module, nil
}
