package synthetic_test

import (
	"fmt"
	"time"

	"github.com/laneway/laneway/synthetic"
)

// A test harness mints a token for one transaction; an inbound or edge filter
// configured with the same secret then trusts the marker that comes with it.
func ExampleMintToken() {
	secret := []byte("0123456789abcdef0123456789abcdef")
	expiry := time.Unix(1_900_000_000, 0)
	tok, err := synthetic.MintToken(secret, "checkout-smoke-42", expiry)
	if err != nil {
		panic(err)
	}
	fmt.Println(tok)

	txid, err := synthetic.VerifyToken(secret, tok, expiry.Add(-time.Minute), 30*time.Second, time.Hour)
	fmt.Println(txid, err)
	// Output:
	// v2.1900000000.checkout-smoke-42.8dab899d589ed87c1e26eb70b719317c699a1d1ea6903d203e4b3a9b3e17baa2
	// checkout-smoke-42 <nil>
}

// ParseConfig is what both the filter and the CLI use, so a bad plugin
// configuration is caught before it is deployed.
func ExampleParseConfig() {
	_, err := synthetic.ParseConfig([]byte(`{"mode":"outbound","refuse":{"status":200}}`))
	fmt.Println(err)
	// Output:
	// synthetic config: field "refuse.status": got number 200; allowed: an integer HTTP status from 400 to 599
}
