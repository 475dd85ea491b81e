package ociimage

import (
	"net"
	"net/url"
	"syscall"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A registry killed mid-upload shows up as a reset, a broken pipe or, at random, the client's own connection
// closed under a write: each is a lost connection, not an unreachable registry (that is a failed dial).
func TestExplainTellsALostConnectionFromAnUnreachableRegistry(t *testing.T) {
	r, err := name.ParseReference("127.0.0.1:5000/laneway/tenantroute:v1")
	require.NoError(t, err)
	upload := func(cause error) error {
		return &url.Error{Op: "Patch", URL: "http://127.0.0.1:5000/v2/laneway/tenantroute/blobs/uploads/x",
			Err: &net.OpError{Op: "readfrom", Net: "tcp", Err: cause}}
	}
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"closed under a write", upload(&net.OpError{Op: "write", Net: "tcp", Err: net.ErrClosed}), "was lost"},
		{"reset", upload(syscall.ECONNRESET), "was lost"},
		{"broken pipe", upload(syscall.EPIPE), "was lost"},
		{"dial refused", &url.Error{Op: "Get", URL: "http://127.0.0.1:5000/v2/", Err: &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}}, "is unreachable"},
	} {
		got := explain("push", r, RemoteOptions{}, tc.err)
		assert.Contains(t, got.Error(), tc.want, tc.name)
	}
}
