package synthetic

import (
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Token verification failures.
var (
	ErrTokenMalformed = errors.New("token is malformed")
	ErrTokenForged    = errors.New("token signature does not match")
	ErrTokenExpired   = errors.New("token has expired")
	ErrTokenTooLong   = errors.New("token expires further ahead than the maximum lifetime")
)

// tokenVersion prefixes every token; v2 is HMAC-BLAKE2s-256 (v1, HMAC-SHA256, was never released).
const tokenVersion = "v2"

// MintToken returns the token `v2.<expiry>.<txid>.<hex HMAC-BLAKE2s-256(secret, "v2.<expiry>.<txid>")>`.
func MintToken(secret []byte, txid string, expiry time.Time) (string, error) {
	if len(secret) == 0 {
		return "", errors.New("synthetic: empty token secret")
	}
	if !ValidTxID(txid) {
		return "", errors.New("synthetic: invalid transaction id " + strconv.Quote(txid) + ": want 1 to 64 of A-Z a-z 0-9 _ -")
	}
	if expiry.Unix() < 0 {
		return "", errors.New("synthetic: token expiry before 1970")
	}
	payload := tokenVersion + "." + strconv.FormatInt(expiry.Unix(), 10) + "." + txid
	mac := tokenMAC(secret, payload)
	return payload + "." + hex.EncodeToString(mac[:]), nil
}

// VerifyToken checks a token against secret at time now and returns its transaction id.
//
// A token is accepted until its expiry plus skew, and refused when its expiry
// lies more than maxLifetime plus skew after now. The signature is checked
// first (in constant time), so a forged token is reported as forged whatever
// its expiry.
func VerifyToken(secret []byte, token string, now time.Time, skew, maxLifetime time.Duration) (string, error) {
	if len(secret) == 0 || len(token) > 256 {
		return "", ErrTokenMalformed
	}
	rest, ok := strings.CutPrefix(token, tokenVersion+".")
	if !ok {
		return "", ErrTokenMalformed
	}
	expStr, rest, ok := strings.Cut(rest, ".")
	if !ok || expStr == "" || len(expStr) > 18 {
		return "", ErrTokenMalformed
	}
	var expiry int64
	for i := 0; i < len(expStr); i++ {
		ch := expStr[i]
		if ch < '0' || ch > '9' {
			return "", ErrTokenMalformed
		}
		expiry = expiry*10 + int64(ch-'0')
	}
	txid, macHex, ok := strings.Cut(rest, ".")
	if !ok || !ValidTxID(txid) || len(macHex) != 2*macSize {
		return "", ErrTokenMalformed
	}
	var got [macSize]byte
	for i := range got {
		hi, ok1 := fromHexLower(macHex[2*i])
		lo, ok2 := fromHexLower(macHex[2*i+1])
		if !ok1 || !ok2 {
			return "", ErrTokenMalformed
		}
		got[i] = hi<<4 | lo
	}
	want := tokenMAC(secret, token[:len(token)-len(macHex)-1])
	if subtle.ConstantTimeCompare(want[:], got[:]) != 1 {
		return "", ErrTokenForged
	}
	// Compare in seconds; skew and lifetime are bounded by the configuration,
	// and expiry has at most 18 digits, so none of this overflows.
	nowS := now.Unix()
	skewS := int64(skew / time.Second)
	if nowS > expiry+skewS {
		return "", ErrTokenExpired
	}
	if expiry > nowS+int64(maxLifetime/time.Second)+skewS {
		return "", ErrTokenTooLong
	}
	return txid, nil
}

func fromHexLower(ch byte) (byte, bool) {
	switch {
	case ch >= '0' && ch <= '9':
		return ch - '0', true
	case ch >= 'a' && ch <= 'f':
		return ch - 'a' + 10, true
	}
	return 0, false
}
