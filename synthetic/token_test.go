package synthetic

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMintTokenHasTheDocumentedFormat(t *testing.T) {
	tok, err := MintToken([]byte(testSecret), "tx-1", time.Unix(1700000000, 0))
	require.NoError(t, err)
	parts := strings.Split(tok, ".")
	require.Len(t, parts, 4)
	assert.Equal(t, []string{"v2", "1700000000", "tx-1"}, parts[:3])
	assert.Regexp(t, `^[0-9a-f]{64}$`, parts[3])
}

func TestMintTokenRejectsBadInput(t *testing.T) {
	_, err := MintToken(nil, "tx", time.Now())
	assert.Error(t, err, "an empty secret")
	_, err = MintToken([]byte(testSecret), "tx.1", time.Now())
	assert.Error(t, err, "a txid with a dot")
	_, err = MintToken([]byte(testSecret), "", time.Now())
	assert.Error(t, err, "an empty txid")
	_, err = MintToken([]byte(testSecret), "tx", time.Unix(-5, 0))
	assert.Error(t, err, "an expiry before 1970")
}

func TestVerifyToken(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	secret := []byte(testSecret)
	mint := func(txid string, exp time.Time) string {
		tok, err := MintToken(secret, txid, exp)
		require.NoError(t, err)
		return tok
	}
	valid := mint("tx-42", now.Add(time.Minute))
	forged := valid[:len(valid)-1] + map[bool]string{true: "0", false: "1"}[valid[len(valid)-1] != '0']
	tests := []struct {
		name    string
		secret  []byte
		token   string
		wantID  string
		wantErr error
	}{
		{"a fresh token is valid and yields its txid", secret, valid, "tx-42", nil},
		{"a token that expired within the skew is still valid", secret, mint("a", now.Add(-20*time.Second)), "a", nil},
		{"a token that expired beyond the skew is expired", secret, mint("a", now.Add(-31*time.Second)), "", ErrTokenExpired},
		{"a token living longer than the maximum lifetime is refused", secret, mint("a", now.Add(2*time.Hour)), "", ErrTokenTooLong},
		{"a token with one changed signature digit is forged", secret, forged, "", ErrTokenForged},
		{"a token signed with another secret is forged", []byte("another-secret-of-enough-bytes"), valid, "", ErrTokenForged},
		{"a token whose txid was swapped is forged", secret, strings.Replace(valid, "tx-42", "tx-43", 1), "", ErrTokenForged},
		{"a token whose expiry was extended is forged", secret, strings.Replace(valid, ".18000", ".18001", 1), "", ErrTokenForged},
		{"an expired forged token is reported as forged", secret, strings.Replace(mint("a", now.Add(-time.Hour)), "v2.", "v2.9", 1), "", ErrTokenForged},
		{"a v1 (HMAC-SHA256) token is malformed", secret, "v1" + valid[2:], "", ErrTokenMalformed},
		{"a token with upper-case hex is malformed", secret, valid[:len(valid)-64] + strings.ToUpper(valid[len(valid)-64:]), "", ErrTokenMalformed},
		{"a token with a short signature is malformed", secret, valid[:len(valid)-2], "", ErrTokenMalformed},
		{"a token with a negative expiry is malformed", secret, "v2.-5.a." + strings.Repeat("0", 64), "", ErrTokenMalformed},
		{"a token with three parts is malformed", secret, "v2.5.a", "", ErrTokenMalformed},
		{"an empty token is malformed", secret, "", "", ErrTokenMalformed},
		{"an empty secret never verifies", nil, valid, "", ErrTokenMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := VerifyToken(tt.secret, tt.token, now, 30*time.Second, time.Hour)
			assert.Equal(t, tt.wantErr, err)
			assert.Equal(t, tt.wantID, id)
		})
	}
}
