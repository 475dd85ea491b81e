package tenantroute

import (
	"strings"
	"testing"

	"github.com/laneway/laneway/filters/headerscan"
)

// naiveDNSLabel is isDNSLabel byte by byte.
func naiveDNSLabel(s string) bool {
	if len(s) == 0 || len(s) > 63 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		b := s[i]
		if !(b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '-') {
			return false
		}
	}
	return true
}

// TestDNSLabelAgreesWithTheByteLoopForEveryByteAndPosition: isDNSLabel's words agree with the byte loop for
// every byte value at every position of every length it reads by words, whatever the other bytes hold.
func TestDNSLabelAgreesWithTheByteLoopForEveryByteAndPosition(t *testing.T) {
	for n := 1; n <= 64; n++ {
		for _, fill := range []byte{'a', 'z', '0', '9', '-', 0x80, 0xff, 0x00} {
			for pos := range n {
				for c := range 256 {
					b := []byte(strings.Repeat(string([]byte{fill}), n))
					b[pos] = byte(c)
					if n > 2 {
						b[0], b[n-1] = 'a', 'a'
						b[pos] = byte(c)
					}
					if got, want := isDNSLabel(string(b)), naiveDNSLabel(string(b)); got != want {
						t.Fatalf("isDNSLabel(%q) = %v, want %v", b, got, want)
					}
				}
			}
		}
	}
}

// FuzzDNSLabel: isDNSLabel is the byte loop, for any string.
func FuzzDNSLabel(f *testing.F) {
	for _, s := range []string{"", "a", "sbx-1", "sbx-", "-sbx", "abcd", "abcdefgh", "abcdefghi", "a-b-c-d-e-f-g-h-i-j", "Sbx-1", "sbx_1", "sbx-1\x80", strings.Repeat("a", 63), strings.Repeat("a", 64)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := isDNSLabel(s), naiveDNSLabel(s); got != want {
			t.Fatalf("isDNSLabel(%q) = %v, want %v", s, got, want)
		}
	})
}

// TestBaggageNameIsEqualFold: headerscan.IsBaggage, the baggage test tenantroute uses, is equalFold(name, "baggage") for every byte at every position.
func TestBaggageNameIsEqualFold(t *testing.T) {
	for _, base := range []string{"baggage", "BAGGAGE", "bAgGaGe", "baggagf", ":method"} {
		for pos := range len(base) {
			for c := range 256 {
				b := []byte(base)
				b[pos] = byte(c)
				if got, want := headerscan.IsBaggage(string(b)), equalFold(string(b), "baggage"); got != want {
					t.Fatalf("headerscan.IsBaggage(%q) = %v, want %v", b, got, want)
				}
			}
		}
	}
	for _, s := range []string{"", "b", "baggag", "baggages", "xbaggage"} {
		if headerscan.IsBaggage(s) {
			t.Fatalf("headerscan.IsBaggage(%q)", s)
		}
	}
}
