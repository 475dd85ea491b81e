package registrytest

import (
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"
)

// Fault sees each request before the registry does: it may answer it itself (and
// return true), or alter it (delay it, wrap its body) and return false to pass it on.
type Fault func(w http.ResponseWriter, r *http.Request) (handled bool)

// Proxy is a reverse proxy on loopback in front of a registry that injects faults.
// Its embedded Registry is the proxy's address (clients use it as the registry).
type Proxy struct {
	Registry
	srv *httptest.Server
}

// NewProxy starts a fault-injecting proxy in front of upstream. When the upstream
// cannot be reached the proxy drops the client's connection, as the registry
// itself going away would, rather than answering 502.
func NewProxy(t testing.TB, upstream *Registry, fault Fault) *Proxy {
	t.Helper()
	rp := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: upstream.Host})
	rp.ErrorLog = log.New(io.Discard, "", 0)
	rp.ErrorHandler = func(w http.ResponseWriter, r *http.Request, err error) {
		dropConnection(w)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if fault != nil && fault(w, r) {
			return
		}
		rp.ServeHTTP(w, r)
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.Start()
	t.Cleanup(srv.Close)
	return &Proxy{Registry: Registry{Host: strings.TrimPrefix(srv.URL, "http://"), Auth: upstream.Auth}, srv: srv}
}

// Cut stops listening and drops every open connection, as a registry host that went
// away would: requests in flight fail mid-way and new ones are refused.
func (p *Proxy) Cut() {
	_ = p.srv.Listener.Close()
	p.srv.CloseClientConnections()
}

// dropConnection closes the client's connection without an answer.
func dropConnection(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler) // net/http closes the connection without logging
}

// IsBlobUpload reports whether r carries blob data (the PATCH or PUT of an upload session).
func IsBlobUpload(r *http.Request) bool {
	return (r.Method == http.MethodPatch || r.Method == http.MethodPut) && strings.Contains(r.URL.Path, "/blobs/uploads/")
}

// IsManifestPut reports whether r writes a manifest (which creates the tag).
func IsManifestPut(r *http.Request) bool {
	return r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/manifests/")
}
