package registrytest

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTokenRegistryEnforcesCredentialsAndScopes(t *testing.T) {
	reg := InMemoryToken(t, true)
	get := func(url, bearer string, basic bool) *http.Response {
		req, err := http.NewRequest(http.MethodGet, url, nil)
		require.NoError(t, err)
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		if basic {
			req.SetBasicAuth(Username, Password)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp
	}
	manifest := "http://" + reg.Host + "/v2/laneway/a/manifests/v1"

	resp := get(manifest, "", false)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.Equal(t, `Bearer realm="`+reg.tokenRealm+`",service="`+TokenService+`",scope="repository:laneway/a:pull,push"`, resp.Header.Get("WWW-Authenticate"))
	assert.Equal(t, http.StatusUnauthorized, get(manifest, "", true).StatusCode, "basic credentials are not accepted by the registry itself")
	assert.Equal(t, http.StatusUnauthorized, get(reg.tokenRealm+"?service="+TokenService+"&scope=repository:laneway/a:pull", "", false).StatusCode, "the token endpoint wants credentials")
	assert.Equal(t, http.StatusBadRequest, get(reg.tokenRealm+"?service=other&scope=repository:laneway/a:pull", "", true).StatusCode)

	pullA := reg.bearer(t, "laneway/a")
	assert.Equal(t, http.StatusNotFound, get(manifest, pullA, false).StatusCode, "a pull token for the repository gets through (nothing pushed yet)")
	assert.Equal(t, http.StatusUnauthorized, get("http://"+reg.Host+"/v2/laneway/b/manifests/v1", pullA, false).StatusCode, "not for another repository")
	req, err := http.NewRequest(http.MethodPost, "http://"+reg.Host+"/v2/laneway/a/blobs/uploads/", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+pullA)
	r, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	r.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, r.StatusCode, "a pull token cannot push")
	assert.Equal(t, http.StatusUnauthorized, get(manifest, "forged", false).StatusCode)
}
