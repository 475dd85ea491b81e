// Package headerscan summarises a request's header map in one pass for a module that runs several roles over it
// (the combined laneway module): which name lengths occur and where the baggage headers are; the authority and
// whether another propagator's baggage carrier occurs are looked up only when a role asks. A role reads from the
// summary whether the request can hold anything it acts on (synthetic.Config.QuietOn, shadowtag.Config.QuietOn);
// only a role that may have something to do then runs its own scan and decision.
//
// The pass makes no call and writes only locals: in the Go compiler's Wasm code a call or a heap write in a loop
// makes every turn spill its locals. In the Wasm build the combined module does not run Scan: the ABI glue makes the
// same summary as it reads the pairs (proxyhost.RequestHeadersScanned, Of), held to Scan's definition by the glue's
// FuzzDeserializeScanInto; natively, and in the roles' tests, Scan makes it.
package headerscan

import "github.com/laneway/laneway/filters/bytewords"

// Summary is what Scan found in one request's header pairs.
type Summary struct {
	// Lengths has bit n%64 set for every header name of n bytes (LengthBit): a name a role looks for can only be
	// present when its length's bit is set.
	Lengths uint64
	// bag is the index of the first baggage header (its name in any case: Envoy's are lower case, and
	// tenantroute's own pass takes any), nbags their number.
	bag, nbags int
}

// Of returns the summary a pass like Scan made elsewhere (the Wasm glue's read of the pairs): the lengths bits, the
// index of the first baggage header and their number.
func Of(lengths uint64, bag, nbags int) Summary {
	return Summary{Lengths: lengths, bag: bag, nbags: nbags}
}

// LengthBit returns the bit of Summary.Lengths a name of n bytes sets.
func LengthBit(n int) uint64 { return 1 << (uint(n) & 63) }

// Little-endian words of the names the pass tells apart (bytewords.Load32, Load64).
const (
	wordBagg    = 'b' | 'a'<<8 | 'g'<<16 | 'g'<<24                                         // "bagg"
	wordGage    = 'g' | 'a'<<8 | 'g'<<16 | 'e'<<24                                         // "baggage"[3:]
	wordAuthori = ':' | 'a'<<8 | 'u'<<16 | 't'<<24 | 'h'<<32 | 'o'<<40 | 'r'<<48 | 'i'<<56 // ":authori"
	wordRity    = 'r' | 'i'<<8 | 't'<<16 | 'y'<<24                                         // ":authority"[6:]
	wordHost    = 'h' | 'o'<<8 | 's'<<16 | 't'<<24                                         // "host"
	// The first eight bytes of the carrier prefixes with foldWord's bits set: OR-ing foldWord into a name's first
	// word lowers its ASCII letters (and changes some other bytes, so the test is a superset).
	foldWord    = 0x2020202020202020
	wordUberctx = 'u' | 'b'<<8 | 'e'<<16 | 'r'<<24 | 'c'<<32 | 't'<<40 | 'x'<<48 | '-'<<56 // "uberctx-"
	wordOtBagga = 'o' | 't'<<8 | '-'<<16 | 'b'<<24 | 'a'<<32 | 'g'<<40 | 'g'<<48 | 'a'<<56 // "ot-bagga"
)

// Scan summarises headers (as one get_header_map_pairs returns them: lowercase names, repeats allowed) into s.
// Never inlined (profile-guided inlining would): inside a function that makes calls, the loop's locals live on
// the Go stack.
//
//go:noinline
func Scan(headers [][2]string, s *Summary) {
	var (
		lengths    uint64
		bag, nbags int
	)
	for i := range headers {
		name := headers[i][0]
		n := len(name)
		lengths |= 1 << (uint(n) & 63)
		if IsBaggage(name) {
			if nbags == 0 {
				bag = i
			}
			nbags++
		}
	}
	*s = Summary{Lengths: lengths, bag: bag, nbags: nbags}
}

// IsBaggage reports whether name is "baggage" in any ASCII case: the baggage header as every laneway role reads
// its name (Envoy's names are lower case; the roles' own passes take any). Four bytes at a time: every byte of
// "baggage" is a letter, and a byte ORed with 0x20 is a given lower-case letter exactly when it is that letter in
// either case.
func IsBaggage(name string) bool {
	return len(name) == 7 && bytewords.Load32(name, 0)|0x20202020 == wordBagg && bytewords.Load32(name, 3)|0x20202020 == wordGage
}

// Has reports whether some header name may be one of the names whose LengthBits are in mask.
func (s *Summary) Has(mask uint64) bool { return s.Lengths&mask != 0 }

// HasBaggage reports whether the request has a baggage header.
func (s *Summary) HasBaggage() bool { return s.nbags > 0 }

// Baggage returns the values of the baggage headers: the one value in place, or several appended to buf. Small
// enough to inline for the one value most requests have.
func (s *Summary) Baggage(headers [][2]string, buf []string) []string {
	if s.nbags == 1 {
		return headers[s.bag][1:]
	}
	return s.allBaggage(headers, buf)
}

// allBaggage is Baggage for none or several baggage headers (out of line, so that Baggage inlines).
//
//go:noinline
func (s *Summary) allBaggage(headers [][2]string, buf []string) []string {
	if s.nbags == 0 {
		return nil
	}
	for i := s.bag; i < len(headers); i++ {
		if IsBaggage(headers[i][0]) {
			buf = append(buf, headers[i][1])
		}
	}
	return buf
}

// Authority returns the value of the last :authority header of headers, or of the first non-empty host header
// when that is empty. The host headers are looked for only then (a second pass, rare: Envoy sets :authority): one length test a
// turn.
func Authority(headers [][2]string) string {
	authority := ""
	for i := range headers {
		if name := headers[i][0]; len(name) == 10 && bytewords.Load64(name, 0) == wordAuthori && bytewords.Load32(name, 6) == wordRity {
			authority = headers[i][1]
		}
	}
	if authority != "" {
		return authority
	}
	for i := range headers {
		if name := headers[i][0]; len(name) == 4 && bytewords.Load32(name, 0) == wordHost && headers[i][1] != "" {
			return headers[i][1]
		}
	}
	return ""
}

// Carriers reports whether some name of headers, of more than 8 bytes, starts ASCII case-insensitively with
// "uberctx-" or "ot-bagga" (ot-baggage-): a superset of other propagators' carriers of baggage members.
func Carriers(headers [][2]string) bool {
	for i := range headers {
		if name := headers[i][0]; len(name) > 8 {
			if w := bytewords.Load64(name, 0) | foldWord; w == wordUberctx || w == wordOtBagga {
				return true
			}
		}
	}
	return false
}
