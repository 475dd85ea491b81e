package registrytest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"
)

// TokenService is the service name a token-auth registry names in its Bearer challenge.
const TokenService = "laneway-test-registry"

// InMemoryToken starts go-containerregistry's in-memory registry behind Docker's token authentication,
// the scheme Docker Hub, GHCR, Harbor and Quay use: the registry answers 401 with a Bearer challenge
// naming a token endpoint (on the same server, /token); the client gets a token there for the scopes it
// needs (repository:<name>:pull,push) and sends it as a Bearer header. With auth the token endpoint
// demands Username/Password (basic); without it, it grants anonymous tokens, as public registries do.
// Every token is checked against the repository and the action of each request.
func InMemoryToken(t testing.TB, auth bool) *Registry {
	t.Helper()
	ts := &tokenServer{auth: auth, inner: registry.New(registry.Logger(log.New(io.Discard, "", 0))), grants: map[string][]string{}}
	srv := httptest.NewServer(ts)
	t.Cleanup(srv.Close)
	ts.realm = srv.URL + "/token"
	return &Registry{Host: strings.TrimPrefix(srv.URL, "http://"), Auth: auth, tokenRealm: ts.realm}
}

type tokenServer struct {
	auth  bool
	realm string
	inner http.Handler
	mu    sync.Mutex
	// grants maps an issued token to the "repository:<name>:<action>" grants it carries.
	grants map[string][]string
}

func (s *tokenServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/token" {
		s.issue(w, r)
		return
	}
	repo, action, ok := repoAction(r)
	if !ok { // /v2/ itself: any valid token will do
		if s.tokenGrants(r) == nil {
			s.challenge(w, "")
			return
		}
		s.inner.ServeHTTP(w, r)
		return
	}
	scope := "repository:" + repo + ":" + action
	if !slices.Contains(s.tokenGrants(r), scope) {
		s.challenge(w, "repository:"+repo+":pull,push")
		return
	}
	s.inner.ServeHTTP(w, r)
}

// repoAction names the repository of a /v2/<name>/(blobs|manifests)/... request and the action it needs.
func repoAction(r *http.Request) (repo, action string, ok bool) {
	p := strings.TrimPrefix(r.URL.Path, "/v2/")
	for _, sep := range []string{"/blobs/", "/manifests/", "/tags/"} {
		if i := strings.Index(p, sep); i > 0 {
			repo = p[:i]
			switch r.Method {
			case http.MethodGet, http.MethodHead:
				return repo, "pull", true
			}
			return repo, "push", true
		}
	}
	return "", "", false
}

func (s *tokenServer) challenge(w http.ResponseWriter, scope string) {
	c := fmt.Sprintf("Bearer realm=%q,service=%q", s.realm, TokenService)
	if scope != "" {
		c += fmt.Sprintf(",scope=%q", scope)
	}
	unauthorized(w, c, "authentication required")
}

func (s *tokenServer) tokenGrants(r *http.Request) []string {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.grants[tok]
}

// issue is the token endpoint: it checks the credentials and the service and grants the requested scopes.
func (s *tokenServer) issue(w http.ResponseWriter, r *http.Request) {
	if s.auth {
		u, p, ok := r.BasicAuth()
		if !ok || u != Username || p != Password {
			unauthorized(w, `Basic realm="laneway-test-token"`, "invalid username or password")
			return
		}
	}
	q := r.URL.Query()
	if q.Get("service") != TokenService {
		http.Error(w, `{"errors":[{"code":"DENIED","message":"unknown service"}]}`, http.StatusBadRequest)
		return
	}
	grants := []string{"registry:catalog:*"}
	for _, scope := range q["scope"] {
		// repository:<name>:<action>[,<action>]
		kind, rest, _ := strings.Cut(scope, ":")
		i := strings.LastIndex(rest, ":")
		if kind != "repository" || i <= 0 {
			continue
		}
		for _, a := range strings.Split(rest[i+1:], ",") {
			grants = append(grants, "repository:"+rest[:i]+":"+a)
		}
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	tok := hex.EncodeToString(b)
	s.mu.Lock()
	s.grants[tok] = grants
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"token": tok, "access_token": tok, "expires_in": 300})
}

// bearer gets a pull token for repo from a token-auth registry, with the test credentials when it has auth.
func (r *Registry) bearer(t testing.TB, repo string) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, r.tokenRealm+"?service="+TokenService+"&scope=repository:"+repo+":pull", nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.Auth {
		req.SetBasicAuth(Username, Password)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct{ Token string }
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&body) != nil || body.Token == "" {
		t.Fatalf("token endpoint %s answered %d", r.tokenRealm, resp.StatusCode)
	}
	return body.Token
}
