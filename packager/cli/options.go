package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/laneway/laneway/packager/ociimage"
)

// formatOptions is the --format flag group.
type formatOptions struct {
	format string
	// allowed lists the accepted values; the first is the default.
	allowed []string
}

func (o *formatOptions) applyFlags(cmd *cobra.Command, allowed ...string) {
	o.allowed = allowed
	cmd.Flags().StringVar(&o.format, "format", allowed[0], "output format: "+strings.Join(allowed, "|"))
}

func (o *formatOptions) validate() error {
	for _, a := range o.allowed {
		if o.format == a {
			return nil
		}
	}
	return fmt.Errorf("--format: got %q, expected one of %s", o.format, strings.Join(o.allowed, ", "))
}

// print writes v as JSON or YAML, or calls text for the text format.
func (o *formatOptions) print(w io.Writer, v any, text func(io.Writer) error) error {
	switch o.format {
	case "json":
		b, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "%s\n", b)
		return err
	case "yaml":
		b, err := yaml.Marshal(v)
		if err != nil {
			return err
		}
		_, err = w.Write(b)
		return err
	}
	return text(w)
}

// remoteOptions is the registry/auth flag group.
type remoteOptions struct {
	plainHTTP     bool
	insecure      bool
	username      string
	passwordStdin bool
	attempts      int
	timeout       time.Duration
}

func (o *remoteOptions) applyFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.BoolVar(&o.plainHTTP, "plain-http", false, "talk plain HTTP to the registry (automatic for localhost and 127.0.0.1)")
	f.BoolVar(&o.insecure, "insecure", false, "skip TLS certificate verification")
	f.StringVarP(&o.username, "username", "u", "", "registry user name (default: credentials from the docker config and its helpers)")
	f.BoolVar(&o.passwordStdin, "password-stdin", false, "read the registry password from stdin (with --username)")
	f.IntVar(&o.attempts, "retries", 3, "attempts for retryable registry failures (408, 429, 5xx)")
	f.DurationVar(&o.timeout, "timeout", 2*time.Minute, "give up on the registry after this long")
}

// resolve reads the password when asked and returns the library options.
func (o *remoteOptions) resolve(in io.Reader) (ociimage.RemoteOptions, error) {
	r := ociimage.RemoteOptions{PlainHTTP: o.plainHTTP, Insecure: o.insecure, Username: o.username, Attempts: o.attempts}
	if o.attempts < 1 {
		return r, fmt.Errorf("--retries: got %d, expected the number of attempts, at least 1 (1 means no retry)", o.attempts)
	}
	if o.timeout <= 0 {
		return r, fmt.Errorf("--timeout: got %v, expected a positive duration such as 2m", o.timeout)
	}
	if o.passwordStdin {
		if o.username == "" {
			return r, fmt.Errorf("--password-stdin: got no --username, expected both (or neither, to use the docker config)")
		}
		line, err := bufio.NewReader(in).ReadString('\n')
		if err != nil && err != io.EOF {
			return r, fmt.Errorf("read password from stdin: %w", err)
		}
		r.Password = strings.TrimRight(line, "\r\n")
		if r.Password == "" {
			return r, fmt.Errorf("--password-stdin: got an empty password on stdin, expected `echo \"$PASSWORD\" | laneway ... --password-stdin`")
		}
	} else if o.username != "" {
		return r, fmt.Errorf("--username: got a user name without --password-stdin, expected both (passwords are never taken as flags)")
	}
	return r, nil
}

func (o *remoteOptions) context(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, o.timeout)
}

// progress writes a progress line on stderr.
func progress(w io.Writer, format string, args ...any) {
	fmt.Fprintf(w, format+"\n", args...)
}
