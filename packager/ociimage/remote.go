package ociimage

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// RemoteOptions configure how a registry is reached.
type RemoteOptions struct {
	// PlainHTTP talks HTTP to the registry (ggcr already does for localhost and 127.0.0.1).
	PlainHTTP bool
	// Insecure skips TLS certificate verification.
	Insecure bool
	// Username and Password replace the docker config keychain when Username is set.
	Username, Password string
	// Attempts is the number of tries for retryable failures (0 means 3).
	Attempts int
	// Progress receives upload progress updates; nil disables them.
	Progress chan<- v1.Update
}

// ParseReference parses an image reference, accepting Istio's oci:// prefix.
func ParseReference(ref string, o RemoteOptions) (name.Reference, error) {
	ref = strings.TrimPrefix(ref, "oci://")
	var nopts []name.Option
	if o.PlainHTTP {
		nopts = append(nopts, name.Insecure)
	}
	r, err := name.ParseReference(ref, nopts...)
	if err != nil {
		return nil, &Error{
			Op:       "parse reference",
			Received: fmt.Sprintf("%q", ref),
			Expected: "an image reference like registry.example.com/team/tenantroute:v1 or localhost:5000/tenantroute@sha256:<hex>",
			Fix:      "check the spelling; tags may hold letters, digits, '_', '.', '-'",
			Err:      err,
		}
	}
	return r, nil
}

func (o RemoteOptions) remoteOptions(ctx context.Context) []remote.Option {
	opts := []remote.Option{remote.WithContext(ctx)}
	if o.Username != "" {
		opts = append(opts, remote.WithAuth(&authn.Basic{Username: o.Username, Password: o.Password}))
	} else {
		opts = append(opts, remote.WithAuthFromKeychain(authn.DefaultKeychain))
	}
	if o.Insecure {
		t := remote.DefaultTransport.(*http.Transport).Clone()
		t.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} // #nosec G402 -- explicit --insecure
		opts = append(opts, remote.WithTransport(t))
	}
	attempts := o.Attempts
	if attempts <= 0 {
		attempts = 3
	}
	opts = append(opts, remote.WithRetryBackoff(remote.Backoff{Duration: 500 * time.Millisecond, Factor: 2, Jitter: 0.1, Steps: attempts}))
	if o.Progress != nil {
		opts = append(opts, remote.WithProgress(o.Progress))
	}
	return opts
}

// Push uploads img to ref and returns the manifest digest. Blobs go first and the
// manifest (which creates the tag) last, so a failed push never leaves a tag behind.
func Push(ctx context.Context, ref string, img v1.Image, o RemoteOptions) (v1.Hash, error) {
	r, err := ParseReference(ref, o)
	if err != nil {
		return v1.Hash{}, err
	}
	digest, err := img.Digest()
	if err != nil {
		return v1.Hash{}, fmt.Errorf("compute manifest digest: %w", err)
	}
	if err := remote.Write(r, img, o.remoteOptions(ctx)...); err != nil {
		return v1.Hash{}, explain("push", r, err)
	}
	return digest, nil
}

// Fetch pulls ref as Istio's agent does (index resolved to its linux/amd64 child,
// HTTP fallback when the server answers HTTP) and extracts the module.
func Fetch(ctx context.Context, ref string, o RemoteOptions) (*Extracted, error) {
	r, err := ParseReference(ref, o)
	if err != nil {
		return nil, err
	}
	desc, err := remote.Get(r, o.remoteOptions(ctx)...)
	if err != nil && strings.Contains(err.Error(), "server gave HTTP response") {
		if r2, perr := name.ParseReference(r.String(), name.Insecure); perr == nil {
			r = r2
			desc, err = remote.Get(r, o.remoteOptions(ctx)...)
		}
	}
	if err != nil {
		return nil, explain("pull", r, err)
	}
	img, err := desc.Image()
	if err != nil {
		return nil, explain("pull", r, err)
	}
	ex, err := Extract(img)
	if err != nil {
		return nil, fmt.Errorf("pull %s: %w", r, err)
	}
	return ex, nil
}

// Error is a registry or image failure that says what was received, what was
// expected and how to fix it.
type Error struct {
	Op       string
	Received string
	Expected string
	Fix      string
	Err      error
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s failed: %s", e.Op, e.Received)
	if e.Expected != "" {
		fmt.Fprintf(&b, "; expected %s", e.Expected)
	}
	if e.Fix != "" {
		fmt.Fprintf(&b, "; fix: %s", e.Fix)
	}
	if e.Err != nil {
		fmt.Fprintf(&b, " (cause: %v)", e.Err)
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// explain turns ggcr/transport errors into Errors with a recommendation.
func explain(op string, r name.Reference, err error) error {
	host := r.Context().RegistryStr()
	opRef := fmt.Sprintf("%s %s", op, r)
	msg := err.Error()
	switch {
	case strings.Contains(msg, "server gave HTTP response to HTTPS client"):
		return &Error{Op: opRef, Received: fmt.Sprintf("registry %s speaks plain HTTP", host),
			Expected: "HTTPS", Fix: "pass --plain-http", Err: err}
	case strings.Contains(msg, "x509:") || strings.Contains(msg, "tls:"):
		return &Error{Op: opRef, Received: fmt.Sprintf("TLS handshake with %s failed", host),
			Expected: "a certificate trusted by this machine", Fix: "install the registry CA, or pass --insecure to skip verification", Err: err}
	}
	var terr *transport.Error
	if errors.As(err, &terr) {
		switch terr.StatusCode {
		case http.StatusUnauthorized, http.StatusForbidden:
			return &Error{Op: opRef, Received: fmt.Sprintf("registry %s answered HTTP %d (credentials refused)", host, terr.StatusCode),
				Expected: fmt.Sprintf("credentials allowed to %s %s", op, r.Context().RepositoryStr()),
				Fix:      fmt.Sprintf("run `docker login %s`, or pass --username with --password-stdin", host), Err: err}
		case http.StatusNotFound:
			return &Error{Op: opRef, Received: fmt.Sprintf("registry %s has no %s (HTTP 404)", host, r),
				Expected: "an existing repository and tag or digest",
				Fix:      "check the reference, or push it first with `laneway push`", Err: err}
		}
		return &Error{Op: opRef, Received: fmt.Sprintf("registry %s answered HTTP %d", host, terr.StatusCode),
			Expected: "a 2xx answer from an OCI distribution registry", Fix: "check the registry logs; retry later if it is overloaded", Err: err}
	}
	var nerr net.Error
	var operr *net.OpError
	if errors.As(err, &operr) || errors.As(err, &nerr) {
		return &Error{Op: opRef, Received: fmt.Sprintf("registry %s is unreachable", host),
			Expected: "an OCI registry listening at " + host,
			Fix:      "check host and port (is the registry running?); use --plain-http for an HTTP registry off loopback", Err: err}
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return &Error{Op: opRef, Received: "the operation timed out or was cancelled",
			Expected: "the registry to answer in time", Fix: "raise --timeout or check the network", Err: err}
	}
	return fmt.Errorf("%s: %w", opRef, err)
}
