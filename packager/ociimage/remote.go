package ociimage

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"syscall"
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
		received, fix := fmt.Sprintf("%q", ref), "check the spelling"
		if problem, f := diagnoseReference(ref); problem != "" {
			received, fix = fmt.Sprintf("%q, whose %s", ref, problem), f
		}
		return nil, &Error{
			Op:       "parse reference",
			Received: received,
			Expected: "an image reference like registry.example.com/team/tenantroute:v1 or localhost:5000/tenantroute@sha256:<hex>",
			Fix:      fix,
			Err:      err,
		}
	}
	return r, nil
}

var (
	repositoryPattern = regexp.MustCompile(`^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$`)
	tagPattern        = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)
	digestPattern     = regexp.MustCompile(`^sha256:[a-f0-9]{64}$`)
)

// diagnoseReference names the part of an unparsable image reference that is wrong (registry, repository,
// tag or digest) and how to fix it; "" when it cannot tell.
func diagnoseReference(ref string) (problem, fix string) {
	rest, digest, hasDigest := strings.Cut(ref, "@")
	if hasDigest && !digestPattern.MatchString(digest) {
		return fmt.Sprintf("digest %q is not sha256: and 64 lower-case hex characters", digest), "copy the digest printed by `laneway push`"
	}
	tag := ""
	if slash, colon := strings.LastIndex(rest, "/"), strings.LastIndex(rest, ":"); colon > slash {
		rest, tag = rest[:colon], rest[colon+1:]
		if !tagPattern.MatchString(tag) {
			return fmt.Sprintf("tag %q is not 1 to 128 letters, digits, '_', '.' or '-'", tag), "pick another tag"
		}
	}
	repo := rest
	if first, after, ok := strings.Cut(rest, "/"); ok && (strings.ContainsAny(first, ".:") || first == "localhost") {
		repo = after
	}
	switch {
	case len(repo) < 2:
		return fmt.Sprintf("repository %q is shorter than 2 characters", repo), "name the repository, e.g. registry.example.com/laneway/tenantroute:v1"
	case strings.ToLower(repo) != repo && repositoryPattern.MatchString(strings.ToLower(repo)):
		return fmt.Sprintf("repository %q has upper-case letters (repository names are lower-case; tags may mix cases)", repo),
			fmt.Sprintf("write the repository as %q", strings.ToLower(repo))
	case !repositoryPattern.MatchString(repo):
		return fmt.Sprintf("repository %q is not lower-case letters and digits separated by '/', '.', '_' or '-'", repo), "rename the repository"
	}
	return "", ""
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
	opts = append(opts, remote.WithRetryBackoff(remote.Backoff{Duration: 500 * time.Millisecond, Factor: 2, Jitter: 0.1, Steps: o.attempts()}))
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
		return v1.Hash{}, explain("push", r, o, err)
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
		return nil, explain("pull", r, o, err)
	}
	img, err := desc.Image()
	if err != nil {
		return nil, explain("pull", r, o, err)
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
func explain(op string, r name.Reference, o RemoteOptions, err error) error {
	host := r.Context().RegistryStr()
	repo := r.Context().RepositoryStr()
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
	step := failedStep(err)
	var nerr net.Error
	// Deadlines first: a *url.Error wrapping context.DeadlineExceeded is a net.Error too.
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &nerr) && nerr.Timeout()) {
		return &Error{Op: opRef, Received: fmt.Sprintf("registry %s did not answer in time%s", host, step),
			Expected: "every answer before the deadline",
			Fix:      fmt.Sprintf("raise --timeout if the registry is just slow, or check the network and the registry's load; running the %s again is safe", op), Err: err}
	}
	if errors.Is(err, context.Canceled) {
		return &Error{Op: opRef, Received: fmt.Sprintf("the %s was cancelled%s", op, step),
			Fix: fmt.Sprintf("run the %s again; it is safe to repeat", op), Err: err}
	}
	var terr *transport.Error
	if errors.As(err, &terr) {
		switch terr.StatusCode {
		case http.StatusUnauthorized:
			return credentialsError(op, opRef, host, repo, o, terr.StatusCode, r, err)
		case http.StatusForbidden:
			return &Error{Op: opRef, Received: fmt.Sprintf("registry %s answered HTTP 403: credentials refused for %s on %s", host, op, repo),
				Expected: fmt.Sprintf("credentials allowed to %s %s", op, repo),
				Fix:      fmt.Sprintf("ask for %s rights on %s, or use other credentials: `docker login %s`, or --username with --password-stdin", op, repo, host), Err: err}
		case http.StatusNotFound:
			return &Error{Op: opRef, Received: fmt.Sprintf("registry %s has no %s (HTTP 404)", host, r),
				Expected: "an existing repository and tag or digest",
				Fix:      "check the reference, or push it first with `laneway push`", Err: err}
		}
		if retryable(terr.StatusCode) {
			return &Error{Op: opRef, Received: fmt.Sprintf("registry %s answered HTTP %d (after %d attempts)%s", host, terr.StatusCode, o.attempts(), step),
				Expected: "a 2xx answer from an OCI distribution registry",
				Fix:      fmt.Sprintf("check the registry logs; if it is overloaded or restarting, retry later or raise --retries; running the %s again is safe", op), Err: err}
		}
		return &Error{Op: opRef, Received: fmt.Sprintf("registry %s answered HTTP %d%s", host, terr.StatusCode, step),
			Expected: "a 2xx answer from an OCI distribution registry", Fix: "check the registry logs", Err: err}
	}
	var operr *net.OpError
	if errors.As(err, &operr) && operr.Op == "dial" {
		return &Error{Op: opRef, Received: fmt.Sprintf("registry %s is unreachable%s", host, step),
			Expected: "an OCI registry listening at " + host,
			Fix:      "check host and port (is the registry running?); use --plain-http for an HTTP registry off loopback", Err: err}
	}
	// A connection that existed and went away: the peer closed or reset it, or (net.ErrClosed) the transport
	// closed its side after the peer vanished mid-request, which a registry killed during an upload gives at
	// random in place of EPIPE. Only a failed dial means the registry could not be reached at all.
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, net.ErrClosed) {
		return &Error{Op: opRef, Received: fmt.Sprintf("the connection to registry %s was lost%s", host, step),
			Expected: fmt.Sprintf("the registry to stay up until the %s completes", op),
			Fix: fmt.Sprintf("check that the registry is running (is it restarting? its logs say why it dropped the connection), then run the %s again (safe: same image, same digest); "+
				"only the final manifest upload writes a tag, so a push cut off before it leaves none", op), Err: err}
	}
	if errors.As(err, &operr) || errors.As(err, &nerr) {
		return &Error{Op: opRef, Received: fmt.Sprintf("registry %s is unreachable%s", host, step),
			Expected: "an OCI registry listening at " + host,
			Fix:      "check host and port (is the registry running?); use --plain-http for an HTTP registry off loopback", Err: err}
	}
	return fmt.Errorf("%s: %w", opRef, err)
}

// credentialsError explains a 401: rejected credentials, or none at all.
func credentialsError(op, opRef, host, repo string, o RemoteOptions, status int, r name.Reference, err error) error {
	e := &Error{Op: opRef, Expected: fmt.Sprintf("credentials allowed to %s %s", op, repo), Err: err}
	switch {
	case o.Username != "":
		e.Received = fmt.Sprintf("registry %s answered HTTP %d: credentials refused for user %q (given with --username)", host, status, o.Username)
		e.Fix = fmt.Sprintf("check the user name and the password sent on stdin, or drop --username to use the credentials of `docker login %s`", host)
	case keychainHasCredentials(r):
		e.Received = fmt.Sprintf("registry %s answered HTTP %d: credentials refused (the ones the docker config holds for %s)", host, status, host)
		e.Fix = fmt.Sprintf("run `docker login %s` again, or pass --username with --password-stdin", host)
	default:
		e.Received = fmt.Sprintf("registry %s answered HTTP %d: it requires credentials and the docker config holds none for %s", host, status, host)
		e.Fix = fmt.Sprintf("run `docker login %s`, or pass --username with --password-stdin", host)
	}
	return e
}

// keychainHasCredentials reports whether the docker config (or a helper) has credentials for r's registry.
func keychainHasCredentials(r name.Reference) bool {
	a, err := authn.DefaultKeychain.Resolve(r.Context())
	if err != nil || a == authn.Anonymous {
		return false
	}
	cfg, err := a.Authorization()
	return err == nil && cfg != nil && *cfg != (authn.AuthConfig{})
}

// retryable reports whether ggcr retries an answer with this status (its default list).
func retryable(status int) bool {
	switch status {
	case http.StatusRequestTimeout, http.StatusTooManyRequests, http.StatusInternalServerError,
		http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout, 499, 522:
		return true
	}
	return false
}

// failedStep names the registry request that failed (" while uploading blob sha256:..."), or "".
func failedStep(err error) string {
	var req *http.Request
	var terr *transport.Error
	var uerr *url.Error
	method, path, query := "", "", url.Values{}
	switch {
	case errors.As(err, &terr) && terr.Request != nil && terr.Request.URL != nil:
		req = terr.Request
		method, path, query = req.Method, req.URL.Path, req.URL.Query()
	case errors.As(err, &uerr):
		u, perr := url.Parse(uerr.URL)
		if perr != nil {
			return ""
		}
		method, path, query = strings.ToUpper(uerr.Op), u.Path, u.Query()
	default:
		return ""
	}
	switch {
	case strings.Contains(path, "/blobs/uploads/"):
		if d := query.Get("digest"); d != "" {
			return " while uploading blob " + d
		}
		return " while uploading a blob"
	case strings.Contains(path, "/blobs/"):
		d := path[strings.LastIndex(path, "/")+1:]
		if method == http.MethodHead {
			return " while checking for blob " + d
		}
		return " while downloading blob " + d
	case strings.Contains(path, "/manifests/") && method == http.MethodPut:
		return " while writing the manifest (the step that creates the tag)"
	case strings.Contains(path, "/manifests/"):
		return " while reading the manifest"
	case path == "/v2/" || path == "/v2":
		return " while checking the registry API (/v2/)"
	}
	return ""
}

func (o RemoteOptions) attempts() int {
	if o.Attempts <= 0 {
		return 3
	}
	return o.Attempts
}
