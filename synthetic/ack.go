package synthetic

import (
	"unsafe"

	"strconv"

	"github.com/laneway/laneway/filters/proxyhost"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm"
)

// Ack is what a stream keeps, from its request to its response, to check the acknowledgement of a mutating
// synthetic call to a participant (Decision.AwaitAck). The zero Ack awaits nothing.
type Ack struct {
	waiting    bool
	txid, host string // alias mem, which the Ack owns and keeps when reset
	mem        []byte
}

// maxKeptAckMemory bounds the id-and-host memory an Ack keeps for its next request.
const maxKeptAckMemory = 512

// Await makes a wait for the acknowledgement of d's request, copying the id and host (d's strings alias
// request memory the next request overwrites).
func (a *Ack) Await(d *Decision) {
	a.mem = append(append(a.mem[:0], d.ID...), d.Authority...)
	all := unsafe.String(unsafe.SliceData(a.mem), len(a.mem))
	a.waiting, a.txid, a.host = true, all[:len(d.ID)], all[len(d.ID):]
}

// Waiting reports whether the response must carry an acknowledgement.
func (a *Ack) Waiting() bool { return a.waiting }

// Reset forgets the wait, for a stream context reused by the next stream; memory of an unusually long host
// is not kept.
func (a *Ack) Reset() {
	mem := a.mem[:0]
	if cap(mem) > maxKeptAckMemory {
		mem = nil
	}
	*a = Ack{mem: mem}
}

// CheckAck checks the response's acknowledgement header (value, when found) against a, counts acked or
// ack_missing in cs (see Outcomes) and ends the wait. A miss is logged with its transaction id: the first of
// a plugin (*warned false) at warn level, later ones at debug.
func (c *Config) CheckAck(cs *proxyhost.Counters, a *Ack, value string, found bool, warned *bool) {
	if !a.waiting {
		return
	}
	a.waiting = false
	if found && value == a.txid {
		cs.Inc(countAcked)
		return
	}
	cs.Inc(countAckMissing)
	switch {
	case !*warned:
		*warned = true
		proxywasm.LogWarn("synthetic: tx " + a.txid + ": " + a.host + " did not acknowledge with " + c.AckHeader + ": " + strconv.Quote(value) + " (further misses are logged at debug)")
	case proxyhost.DebugEnabled():
		proxywasm.LogDebug("synthetic: tx " + a.txid + ": " + a.host + " did not acknowledge with " + c.AckHeader + ": " + strconv.Quote(value))
	}
}
