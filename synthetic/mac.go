package synthetic

import "golang.org/x/crypto/blake2s"

// macSize is the length in bytes of a token's MAC.
const macSize = blake2s.Size

// tokenMAC returns HMAC-BLAKE2s-256(secret, msg) as RFC 2104 defines HMAC over a hash with a
// 64-byte block. crypto/hmac is not used: with crypto/sha256 it links Go's FIPS module (SHA-2, SHA-3,
// AES, DRBG): synthetic.wasm was 3.29 MB with it, 3.12 MB with this construction over x/crypto/blake2s
// (about 25 KB), under the 3 MiB budget. TestTokenMACMatchesCryptoHMAC checks it against crypto/hmac.
func tokenMAC(secret []byte, msg string) [macSize]byte {
	var key [blake2s.BlockSize]byte
	if len(secret) > blake2s.BlockSize {
		sum := blake2s.Sum256(secret)
		copy(key[:], sum[:])
	} else {
		copy(key[:], secret)
	}
	var pad [blake2s.BlockSize]byte
	for i, b := range key {
		pad[i] = b ^ 0x36
	}
	h, _ := blake2s.New256(nil) // cannot fail without a key
	h.Write(pad[:])
	h.Write([]byte(msg))
	var inner [macSize]byte
	h.Sum(inner[:0])
	for i, b := range key {
		pad[i] = b ^ 0x5c
	}
	h.Reset()
	h.Write(pad[:])
	h.Write(inner[:])
	var out [macSize]byte
	h.Sum(out[:0])
	return out
}
