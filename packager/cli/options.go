package cli

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/laneway/laneway/packager/filterconfig"
	"github.com/laneway/laneway/packager/ociimage"
	"github.com/laneway/laneway/packager/wasmbuild/filterid"
)

// optionGroup is a set of flags: it adds them to a command, and checks their values once, in the
// command's PreRunE, before anything runs. The shared groups below (output format, registry and
// auth, filter selection, config file) are embedded by the commands' own options, which are a
// group too (their own flags and checks).
type optionGroup interface {
	applyFlags(fs *pflag.FlagSet)
	validate(cmd *cobra.Command, args []string) error
}

// withOptions adds the groups' flags to cmd and sets its PreRunE to validate them in order, so
// that RunE (which calls the command's named run function) sees checked options only.
func withOptions(cmd *cobra.Command, groups ...optionGroup) *cobra.Command {
	for _, g := range groups {
		g.applyFlags(cmd.Flags())
	}
	cmd.PreRunE = func(cmd *cobra.Command, args []string) error {
		// cobra checks required flags only after PreRunE: a missing one is the first thing to say.
		if err := cmd.ValidateRequiredFlags(); err != nil {
			return err
		}
		for _, g := range groups {
			if err := g.validate(cmd, args); err != nil {
				return err
			}
		}
		return nil
	}
	return cmd
}

// formatOptions is the --format flag group.
type formatOptions struct {
	format string
	// allowed lists the accepted values; the first is the default.
	allowed []string
}

// formats returns the --format group accepting allowed, the first the default.
func formats(allowed ...string) formatOptions { return formatOptions{allowed: allowed} }

func (o *formatOptions) applyFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.format, "format", o.allowed[0], "output format: "+strings.Join(o.allowed, "|"))
}

func (o *formatOptions) validate(*cobra.Command, []string) error {
	for _, a := range o.allowed {
		if o.format == a {
			return nil
		}
	}
	return fmt.Errorf("--format: got %q, expected one of %s", o.format, strings.Join(o.allowed, ", "))
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

func (o *remoteOptions) applyFlags(fs *pflag.FlagSet) {
	fs.BoolVar(&o.plainHTTP, "plain-http", false, "talk plain HTTP to the registry (automatic for localhost and 127.0.0.1)")
	fs.BoolVar(&o.insecure, "insecure", false, "skip TLS certificate verification")
	fs.StringVarP(&o.username, "username", "u", "", "registry user name (default: credentials from the docker config and its helpers)")
	fs.BoolVar(&o.passwordStdin, "password-stdin", false, "read the registry password from stdin (with --username)")
	fs.IntVar(&o.attempts, "retries", 3, "attempts for retryable registry failures (408, 429, 5xx)")
	fs.DurationVar(&o.timeout, "timeout", 2*time.Minute, "give up on the registry after this long")
}

func (o *remoteOptions) validate(*cobra.Command, []string) error {
	switch {
	case o.attempts < 1:
		return fmt.Errorf("--retries: got %d, expected the number of attempts, at least 1 (1 means no retry)", o.attempts)
	case o.timeout <= 0:
		return fmt.Errorf("--timeout: got %v, expected a positive duration such as 2m", o.timeout)
	case o.passwordStdin && o.username == "":
		return fmt.Errorf("--password-stdin: got no --username, expected both (or neither, to use the docker config)")
	case !o.passwordStdin && o.username != "":
		return fmt.Errorf("--username: got a user name without --password-stdin, expected both (passwords are never taken as flags)")
	}
	return nil
}

// connect reads the password from in when asked (only a command that reaches a registry does), and
// returns the library options and the context bounded by --timeout.
func (o *remoteOptions) connect(ctx context.Context, in io.Reader) (ociimage.RemoteOptions, context.Context, context.CancelFunc, error) {
	r := ociimage.RemoteOptions{PlainHTTP: o.plainHTTP, Insecure: o.insecure, Username: o.username, Attempts: o.attempts}
	if o.passwordStdin {
		line, err := bufio.NewReader(in).ReadString('\n')
		if err != nil && err != io.EOF {
			return r, nil, nil, fmt.Errorf("read password from stdin: %w", err)
		}
		r.Password = strings.TrimRight(line, "\r\n")
		if r.Password == "" {
			return r, nil, nil, fmt.Errorf("--password-stdin: got an empty password on stdin, expected `echo \"$PASSWORD\" | laneway ... --password-stdin`")
		}
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	return r, ctx, cancel, nil
}

// filterOptions is the filter selection: the laneway filter a command is about, named by its first
// argument (wasmplugin FILTER: one of the filters laneway configures) or by --filter (verify: any
// well-formed filter name, optional).
type filterOptions struct {
	// fromArg takes the filter from the first argument instead of --filter.
	fromArg    bool
	filterName string
	// filter is the configured filter the argument names (fromArg only), set by validate.
	filter filterconfig.Filter
}

func (o *filterOptions) applyFlags(fs *pflag.FlagSet) {
	if !o.fromArg {
		fs.StringVar(&o.filterName, "filter", "", "fail unless the image holds this filter (e.g. tenantroute)")
	}
}

func (o *filterOptions) validate(_ *cobra.Command, args []string) error {
	if o.fromArg {
		f, err := filterconfig.Lookup(args[0])
		o.filterName, o.filter = args[0], f
		return err
	}
	if o.filterName != "" && !filterid.ValidName(o.filterName) {
		return fmt.Errorf("--filter: got %q, expected a filter name such as %s", o.filterName, strings.Join(filterconfig.Names(), ", "))
	}
	return nil
}

// configOptions is a config file flag group: the file the command reads its configuration from
// (the plugin config of wasmplugin, the mesh file of run). validate checks it can be read.
type configOptions struct {
	short, usage string
	// expected says what the file holds, for errors.
	expected string
	path     string
	// data is the file's content, read by validate.
	data []byte
}

func (o *configOptions) applyFlags(fs *pflag.FlagSet) {
	fs.StringVarP(&o.path, "config", o.short, "", o.usage)
}

func (o *configOptions) validate(*cobra.Command, []string) error {
	if o.path == "" { // optional unless the command marks the flag required (checked first)
		return nil
	}
	var err error
	o.data, err = readFlagFile("--config", o.path, o.expected)
	return err
}
