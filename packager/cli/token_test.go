package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/laneway/laneway/synthetic"
)

const testSecret = "0123456789abcdef0123456789abcdef"

func writeSecret(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "synthetic.secret")
	require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
	return p
}

func TestTokenMintsATokenTheSyntheticFilterVerifies(t *testing.T) {
	tests := []struct {
		name, stdin, content string
		fromStdin            bool
	}{
		{name: "secret file written by echo (trailing newline dropped)", content: testSecret + "\n"},
		{name: "secret file without a newline", content: testSecret},
		{name: "secret file with a CRLF", content: testSecret + "\r\n"},
		{name: "secret on stdin", stdin: testSecret + "\n", fromStdin: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := "-"
			if !tc.fromStdin {
				src = writeSecret(t, tc.content)
			}
			before := time.Now()
			r := run(t, tc.stdin, "token", "--secret-file", src, "--txid", "checkout-42", "--ttl", "10m")
			require.Equal(t, 0, r.code, r.stderr)
			tok := strings.TrimSuffix(r.stdout, "\n")
			assert.Equal(t, tok+"\n", r.stdout, "stdout holds the token alone")

			txid, err := synthetic.VerifyToken([]byte(testSecret), tok, time.Now(), 0, synthetic.DefaultMaxLifetime)
			require.NoError(t, err)
			assert.Equal(t, "checkout-42", txid)
			_, err = synthetic.VerifyToken([]byte(testSecret+"x"), tok, time.Now(), 0, synthetic.DefaultMaxLifetime)
			assert.ErrorIs(t, err, synthetic.ErrTokenForged, "only the secret read verifies it")

			exp, err := strconv.ParseInt(strings.Split(tok, ".")[1], 10, 64)
			require.NoError(t, err)
			assert.InDelta(t, before.Add(10*time.Minute).Unix(), exp, 2, "expiry is now + --ttl")
			_, err = synthetic.VerifyToken([]byte(testSecret), tok, before.Add(11*time.Minute), 0, synthetic.DefaultMaxLifetime)
			assert.ErrorIs(t, err, synthetic.ErrTokenExpired)
			assert.Contains(t, r.stderr, "x-laneway-synthetic-token")
			assert.NotContains(t, r.stderr, testSecret)
		})
	}
}

func TestTokenJSONCarriesExpiryAndHeader(t *testing.T) {
	r := run(t, "", "token", "--secret-file", writeSecret(t, testSecret), "--txid", "t1", "--ttl", "90s", "--format", "json")
	require.Equal(t, 0, r.code, r.stderr)
	var got tokenResult
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &got))
	txid, err := synthetic.VerifyToken([]byte(testSecret), got.Token, time.Now(), 0, time.Hour)
	require.NoError(t, err)
	assert.Equal(t, "t1", txid)
	assert.Equal(t, "t1", got.TxID)
	assert.Equal(t, synthetic.DefaultTokenHeader, got.Header)
	assert.WithinDuration(t, time.Now().Add(90*time.Second), got.Expires, 2*time.Second)
}

func TestTokenRefusesBadInputWithoutEchoingTheSecret(t *testing.T) {
	good := writeSecret(t, testSecret)
	tests := []struct {
		name  string
		stdin string
		args  []string
		want  string
	}{
		{"a short secret", "", []string{"--secret-file", writeSecret(t, "hush-hush\n"), "--txid", "t1"}, "got a secret of 9 bytes, expected at least 16"},
		{"an empty stdin", "", []string{"--secret-file", "-", "--txid", "t1"}, "stdin (--secret-file -): got a secret of 0 bytes"},
		{"a missing secret file", "", []string{"--secret-file", filepath.Join(t.TempDir(), "absent"), "--txid", "t1"}, "--secret-file: open"},
		{"no secret file", "", []string{"--txid", "t1"}, `"secret-file" not set`},
		{"a bad transaction id", "", []string{"--secret-file", good, "--txid", "a b"}, `--txid: got "a b", expected 1 to 64 of A-Z a-z 0-9 _ -`},
		{"no transaction id", "", []string{"--secret-file", good}, `"txid" not set`},
		{"a zero ttl", "", []string{"--secret-file", good, "--txid", "t1", "--ttl", "0s"}, "--ttl: got 0s, expected a duration above 0 and at most 24h0m0s"},
		{"a ttl beyond a day", "", []string{"--secret-file", good, "--txid", "t1", "--ttl", "25h"}, "--ttl: got 25h0m0s"},
		{"a secret flag", "", []string{"--secret", testSecret, "--txid", "t1"}, "unknown flag: --secret"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, tc.stdin, append([]string{"token"}, tc.args...)...)
			assert.Equal(t, 1, r.code)
			assert.Empty(t, r.stdout)
			assert.Contains(t, r.stderr, tc.want)
			assert.NotContains(t, r.stderr, "hush-hush")
		})
	}
	t.Run("a ttl beyond the default max lifetime mints with a warning", func(t *testing.T) {
		r := run(t, "", "token", "--secret-file", good, "--txid", "t1", "--ttl", "2h")
		require.Equal(t, 0, r.code, r.stderr)
		assert.Contains(t, r.stderr, "exceeds the filter's default trust.token.maxLifetime")
		_, err := synthetic.VerifyToken([]byte(testSecret), strings.TrimSpace(r.stdout), time.Now(), 0, synthetic.DefaultMaxLifetime)
		assert.ErrorIs(t, err, synthetic.ErrTokenTooLong, "the warning is right: a default filter refuses it")
	})
}

func TestTokenHelpSaysWhyTheSecretIsNeverAFlag(t *testing.T) {
	r := run(t, "", "token", "--help")
	require.Equal(t, 0, r.code)
	assert.Contains(t, r.stdout, "never from a flag value")
	assert.Contains(t, r.stdout, "ps, /proc/<pid>/cmdline")
}
