package cli

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/laneway/laneway/synthetic"
)

// Token limits, the synthetic filter's own: it refuses shorter secrets in its config and
// lifetimes beyond 24h even as trust.token.maxLifetime.
const (
	tokenMinSecretBytes = 16
	tokenMaxTTL         = 24 * time.Hour
	maxSecretFileBytes  = 64 << 10
)

type tokenOptions struct {
	formatOptions
	secretFile string
	txid       string
	ttl        time.Duration
}

type tokenResult struct {
	Token   string    `json:"token"`
	TxID    string    `json:"txid"`
	Expires time.Time `json:"expires"`
	Header  string    `json:"header"`
}

func newTokenCommand(s Streams) *cobra.Command {
	o := tokenOptions{formatOptions: formats("text", "json", "yaml")}
	cmd := &cobra.Command{
		Use:   "token --secret-file FILE|- --txid ID [--ttl 10m]",
		Short: "Mint a synthetic transaction token for a synthetic test driver",
		Long: `Token mints the token a synthetic test driver sends (in the x-laneway-synthetic-token header
by default) so that the synthetic filter, configured with the same trust.token.secret, trusts
its synthetic marker: v2.<expiry>.<txid>.<hex HMAC-BLAKE2s-256>. The token is printed on stdout.

The secret is read from a file, or from stdin with --secret-file -, never from a flag value:
command lines are visible to every user of the machine (ps, /proc/<pid>/cmdline) and end up in
shell history and CI logs. One trailing newline is dropped, so the file may be written with
echo; the rest is used byte for byte, as the filter uses the config string. Like the filter,
it needs at least 16 bytes.

--ttl sets the expiry from now. The filter refuses tokens expiring further ahead than its
trust.token.maxLifetime (default 1h) plus maxSkew, so keep --ttl within that.`,
		Example: `  # Mint a 10-minute token for transaction checkout-42
  laneway token --secret-file ./synthetic.secret --txid checkout-42 --ttl 10m

  # Secret from a secret manager through stdin, JSON output
  vault kv get -field=secret laneway/synthetic | laneway token --secret-file - --txid t1 --format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runToken(s, &o) },
	}
	withOptions(cmd, &o.formatOptions, &o)
	_ = cmd.MarkFlagRequired("secret-file")
	_ = cmd.MarkFlagRequired("txid")
	return cmd
}

func (o *tokenOptions) applyFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.secretFile, "secret-file", "", "file holding the token secret (trust.token.secret), or - for stdin; never a flag value, see above")
	fs.StringVar(&o.txid, "txid", "", "synthetic transaction id: 1 to 64 of A-Z a-z 0-9 _ -")
	fs.DurationVar(&o.ttl, "ttl", 10*time.Minute, "token lifetime from now (the filter's default maxLifetime is 1h)")
}

func (o *tokenOptions) validate(*cobra.Command, []string) error {
	if o.ttl <= 0 || o.ttl > tokenMaxTTL {
		return fmt.Errorf("--ttl: got %v, expected a duration above 0 and at most %v (the synthetic filter's largest maxLifetime)", o.ttl, tokenMaxTTL)
	}
	if !synthetic.ValidTxID(o.txid) {
		return fmt.Errorf("--txid: got %q, expected 1 to 64 of A-Z a-z 0-9 _ -", o.txid)
	}
	return nil
}

func runToken(s Streams, o *tokenOptions) error {
	p := newPrinter(s, o.format)
	secret, err := readSecret(o.secretFile, s.In)
	if err != nil {
		return err
	}
	expires := time.Now().Add(o.ttl).Truncate(time.Second)
	tok, err := synthetic.MintToken(secret, o.txid, expires)
	if err != nil {
		return err
	}
	if o.ttl > synthetic.DefaultMaxLifetime {
		p.progress("Warning: --ttl %v exceeds the filter's default trust.token.maxLifetime (%v); filters not configured with a larger one refuse this token", o.ttl, synthetic.DefaultMaxLifetime)
	}
	res := tokenResult{Token: tok, TxID: o.txid, Expires: expires.UTC(), Header: synthetic.DefaultTokenHeader}
	p.progress("Token for transaction %s, valid until %s; send it in the %s header (or the header set as trust.token.header)",
		o.txid, res.Expires.Format(time.RFC3339), res.Header)
	return p.report(res, func(w io.Writer) error {
		_, err := fmt.Fprintln(w, tok)
		return err
	})
}

// readSecret reads the token secret from path ("-" is in) and drops one trailing newline.
func readSecret(path string, in io.Reader) ([]byte, error) {
	src := "--secret-file " + path
	var r io.Reader
	if path == "-" {
		src, r = "stdin (--secret-file -)", in
	} else {
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("--secret-file: %w", err)
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, maxSecretFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read secret from %s: %w", src, err)
	}
	if len(b) > maxSecretFileBytes {
		return nil, fmt.Errorf("%s: got more than %d bytes, expected the token secret alone", src, maxSecretFileBytes)
	}
	if bytes.HasSuffix(b, []byte("\r\n")) {
		b = b[:len(b)-2]
	} else {
		b = bytes.TrimSuffix(b, []byte("\n"))
	}
	if len(b) < tokenMinSecretBytes {
		// Never echo the secret, not even a short one.
		return nil, fmt.Errorf("%s: got a secret of %d bytes, expected at least %d (the synthetic filter refuses shorter ones), e.g. from `openssl rand -hex 32 > synthetic.secret`",
			src, len(b), tokenMinSecretBytes)
	}
	return b, nil
}
