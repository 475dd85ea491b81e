package proxyhost

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/laneway/laneway/testenv"
)

// fakeHost is a request header map edited the way Envoy edits it, recording every host call.
type fakeHost struct {
	headers [][2]string
	calls   []string
	fail    map[string]bool // call names ("remove x-a") that fail
}

var errHost = errors.New("host call failed")

func (h *fakeHost) install(t *testing.T) {
	saved := [4]any{setPairs, remove, replace, add}
	t.Cleanup(func() {
		setPairs = saved[0].(func([][2]string) error)
		remove = saved[1].(func(string) error)
		replace = saved[2].(func(string, string) error)
		add = saved[3].(func(string, string) error)
	})
	setPairs = func(p [][2]string) error {
		if h.record("set " + strconv.Itoa(len(p))) {
			return errHost
		}
		if !Fits(p) { // what Envoy does with a map it cannot decode
			p = nil
		}
		h.headers = append([][2]string(nil), p...)
		return nil
	}
	remove = func(name string) error {
		if h.record("remove " + name) {
			return errHost
		}
		h.headers = without(h.headers, name)
		return nil
	}
	replace = func(name, value string) error {
		if h.record("replace " + name) {
			return errHost
		}
		for i := range h.headers {
			if h.headers[i][0] == name {
				h.headers[i][1] = value
				h.headers = append(h.headers[:i+1], without(h.headers[i+1:], name)...)
				return nil
			}
		}
		h.headers = append(h.headers, [2]string{name, value})
		return nil
	}
	add = func(name, value string) error {
		if h.record("add " + name) {
			return errHost
		}
		h.headers = append(h.headers, [2]string{name, value})
		return nil
	}
}

func (h *fakeHost) record(call string) (fail bool) {
	h.calls = append(h.calls, call)
	return h.fail[call]
}

func without(h [][2]string, name string) [][2]string {
	out := h[:0:0]
	for _, kv := range h {
		if kv[0] != name {
			out = append(out, kv)
		}
	}
	return out
}

func many(n int, extra ...[2]string) [][2]string {
	out := [][2]string{{":method", "GET"}, {":path", "/"}}
	for i := 0; i < n; i++ {
		out = append(out, [2]string{"x-h-" + strconv.Itoa(i), "v"})
	}
	return append(out, extra...)
}

// pairOfSize returns one pair whose pairs encoding, alone in a map, is exactly size bytes.
func pairOfSize(size int) [][2]string {
	return [][2]string{{"k", strings.Repeat("v", size-4-10-1)}}
}

func TestFitsAcceptsExactlyTheMapsEnvoyDecodes(t *testing.T) {
	for _, tc := range []struct {
		name  string
		pairs [][2]string
		fits  bool
	}{
		{"an empty map fits", nil, true},
		{"an ordinary request fits", many(20), true},
		{"1024 pairs fit", many(1022), true},
		{"1025 pairs do not fit", many(1023), false},
		{"a map of exactly 1 MiB encoded fits", pairOfSize(MaxBytes), true},
		{"a map one byte over 1 MiB does not fit", pairOfSize(MaxBytes + 1), false},
		{"a 1 MiB value among other headers does not fit", many(3, [2]string{"x-big", strings.Repeat("a", 1<<20)}), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.fits, Fits(tc.pairs))
			enc := testenv.EncodePairs(testenv.HeadersOf(tc.pairs))
			assert.Equal(t, len(enc), Size(tc.pairs), "Size is the length of the encoding the host reads")
			decoded, ok := testenv.DecodePairs(enc)
			assert.Equal(t, tc.fits, ok && len(decoded) == len(tc.pairs), "Fits agrees with the host's decoder")
		})
	}
}

func TestWriteRequestHeadersSendsTheWholeMapWhenItFitsAndSingleEditsOtherwise(t *testing.T) {
	big := strings.Repeat("b", 1<<20)
	for _, tc := range []struct {
		name    string
		headers [][2]string
		edits   []Edit
		edited  func([][2]string) [][2]string // the caller's whole-map result
		calls   []string
	}{
		{
			name:    "an ordinary request costs one whole-map call",
			headers: many(3, [2]string{"x-laneway-shadow", "1"}),
			edits:   []Edit{{Kind: Remove, Name: "x-laneway-shadow"}},
			calls:   []string{"set 5"},
		},
		{
			name:    "more than 1024 headers are edited one host call at a time",
			headers: many(1030, [2]string{"x-laneway-shadow", "1"}, [2]string{"x-laneway-tenant", "evil"}),
			edits:   []Edit{{Kind: Remove, Name: "x-laneway-shadow"}, {Kind: Replace, Name: "x-laneway-tenant", Value: "acme"}},
			calls:   []string{"remove x-laneway-shadow", "replace x-laneway-tenant"},
		},
		{
			name:    "a map over 1 MiB is edited one host call at a time",
			headers: many(2, [2]string{"x-big", big}, [2]string{"x-laneway-shadow", "1"}),
			edits:   []Edit{{Kind: Remove, Name: "x-laneway-shadow"}, {Kind: Add, Name: "baggage", Value: "a=b"}},
			calls:   []string{"remove x-laneway-shadow", "add baggage"},
		},
		{
			name:    "an edit that makes the map too big falls back too",
			headers: many(1022),
			edits:   []Edit{{Kind: Add, Name: "x-a", Value: "1"}, {Kind: Add, Name: "x-b", Value: "1"}, {Kind: Add, Name: "x-c", Value: "1"}},
			calls:   []string{"add x-a", "add x-b", "add x-c"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := &fakeHost{headers: append([][2]string(nil), tc.headers...)}
			h.install(t)
			want := apply(tc.headers, tc.edits)
			changed, err := WriteRequestHeaders(want, tc.edits)
			require.NoError(t, err)
			assert.True(t, changed)
			assert.Equal(t, tc.calls, h.calls)
			assert.ElementsMatch(t, want, h.headers, "the host ends up with the edited map, pseudo-headers included")
		})
	}
}

// apply is the reference meaning of edits on a header list.
func apply(headers [][2]string, edits []Edit) [][2]string {
	out := append([][2]string(nil), headers...)
	for _, e := range edits {
		switch e.Kind {
		case Remove:
			out = without(out, e.Name)
		case Replace:
			out = append(without(out, e.Name), [2]string{e.Name, e.Value})
		case Add:
			out = append(out, [2]string{e.Name, e.Value})
		}
	}
	return out
}

func TestEditRequestHeadersMakesOneHostCallPerEditInOrder(t *testing.T) {
	headers := many(1, [2]string{"x-a", "1"}, [2]string{"x-b", "1"}, [2]string{"x-a", "2"})
	edits := []Edit{{Name: "x-a"}, {Name: "x-a"}, {Kind: Replace, Name: "x-b", Value: "2"}, {Kind: Add, Name: "x-c", Value: "3"}}
	h := &fakeHost{headers: append([][2]string(nil), headers...)}
	h.install(t)
	changed, err := EditRequestHeaders(edits)
	require.NoError(t, err)
	assert.True(t, changed)
	assert.Equal(t, []string{"remove x-a", "remove x-a", "replace x-b", "add x-c"}, h.calls,
		"a remove per copy, as hosts that remove only the first value (proxytest) need")
	assert.ElementsMatch(t, apply(headers, edits), h.headers)
}

func TestEditRequestHeadersGoesOnPastAFailedCallAndReportsTheFirstFailure(t *testing.T) {
	h := &fakeHost{headers: many(1, [2]string{"x-a", "1"}, [2]string{"x-b", "1"}), fail: map[string]bool{"remove x-a": true}}
	h.install(t)
	changed, err := EditRequestHeaders([]Edit{{Name: "x-a"}, {Name: "x-b"}})
	assert.ErrorIs(t, err, errHost)
	assert.True(t, changed, "the second edit succeeded")
	assert.Equal(t, []string{"remove x-a", "remove x-b"}, h.calls)
	assert.Equal(t, [][2]string{{":method", "GET"}, {":path", "/"}, {"x-h-0", "v"}, {"x-a", "1"}}, h.headers)
}

func TestWriteRequestHeadersReportsAFailedWholeMapCall(t *testing.T) {
	h := &fakeHost{headers: many(1), fail: map[string]bool{"set 3": true}}
	h.install(t)
	changed, err := WriteRequestHeaders(many(1), []Edit{{Kind: Add, Name: "x-a", Value: "1"}})
	assert.ErrorIs(t, err, errHost)
	assert.False(t, changed)
}

func TestNothingToDoMakesNoHostCall(t *testing.T) {
	h := &fakeHost{}
	h.install(t)
	changed, err := EditRequestHeaders(nil)
	require.NoError(t, err)
	assert.False(t, changed)
	assert.Empty(t, h.calls)
}

func BenchmarkFits(b *testing.B) {
	pairs := many(30)
	for b.Loop() {
		if !Fits(pairs) {
			b.Fatal("an ordinary request must fit")
		}
	}
}

// FuzzFits checks Fits and Size against the host's own pairs decoder.
func FuzzFits(f *testing.F) {
	f.Add(uint16(3), uint32(10), "x-a", "v")
	f.Add(uint16(1023), uint32(0), "k", "")
	f.Add(uint16(1), uint32(MaxBytes-20), "k", "v")
	f.Fuzz(func(t *testing.T, n uint16, pad uint32, name, value string) {
		pairs := make([][2]string, 0, int(n%1100)+1)
		for i := 0; i < int(n%1100); i++ {
			pairs = append(pairs, [2]string{name, value})
		}
		pairs = append(pairs, [2]string{"x-pad", strings.Repeat("p", int(pad%(MaxBytes+64)))})
		enc := testenv.EncodePairs(testenv.HeadersOf(pairs))
		if Size(pairs) != len(enc) {
			t.Fatalf("Size %d, encoding %d bytes", Size(pairs), len(enc))
		}
		decoded, ok := testenv.DecodePairs(enc)
		if host := ok && len(decoded) == len(pairs); Fits(pairs) != host {
			t.Fatalf("Fits %v, host decodes %v (%d pairs, %d bytes)", Fits(pairs), host, len(pairs), len(enc))
		}
	})
}

func TestAppendEditedAppliesEditsAsEnvoyDoes(t *testing.T) {
	in := [][2]string{{":authority", "a-shadow"}, {"x-a", "1"}, {"b", "1"}, {"x-a", "2"}, {"x-mirror", "1"}}
	for _, tc := range []struct {
		name  string
		edits []Edit
		want  [][2]string
	}{
		{"no edits copy the headers", nil, in},
		{
			"remove drops every copy, in any case",
			[]Edit{{Kind: Remove, Name: "X-A"}},
			[][2]string{{":authority", "a-shadow"}, {"b", "1"}, {"x-mirror", "1"}},
		},
		{
			"replace takes the first copy's place and drops the others",
			[]Edit{{Kind: Replace, Name: "x-a", Value: "3"}},
			[][2]string{{":authority", "a-shadow"}, {"x-a", "3"}, {"b", "1"}, {"x-mirror", "1"}},
		},
		{
			"replace of an absent name appends it",
			[]Edit{{Kind: Replace, Name: "baggage", Value: "k=v"}},
			append(append([][2]string(nil), in...), [2]string{"baggage", "k=v"}),
		},
		{
			"add appends next to existing copies",
			[]Edit{{Kind: Add, Name: "x-a", Value: "3"}},
			append(append([][2]string(nil), in...), [2]string{"x-a", "3"}),
		},
		{
			"edits apply in order: remove then add leaves only the added value",
			[]Edit{{Kind: Remove, Name: "x-a"}, {Kind: Add, Name: "x-a", Value: "t"}},
			[][2]string{{":authority", "a-shadow"}, {"b", "1"}, {"x-mirror", "1"}, {"x-a", "t"}},
		},
		{
			"edits apply in order: add then remove leaves nothing",
			[]Edit{{Kind: Add, Name: "x-n", Value: "t"}, {Kind: Remove, Name: "x-n"}},
			in,
		},
		{
			"a pseudo-header is replaced in place",
			[]Edit{{Kind: Replace, Name: ":authority", Value: "a"}, {Kind: Remove, Name: "x-mirror"}},
			[][2]string{{":authority", "a"}, {"x-a", "1"}, {"b", "1"}, {"x-a", "2"}},
		},
		{
			"an unknown kind changes nothing",
			[]Edit{{Kind: Op(9), Name: "x-a"}},
			in,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := append([][2]string(nil), in...)
			assert.Equal(t, tc.want, AppendEdited(nil, in, tc.edits))
			assert.Equal(t, before, in, "the input is not modified")
			prefix := [][2]string{{"kept", "1"}}
			assert.Equal(t, append(prefix, tc.want...), AppendEdited(append([][2]string(nil), prefix...), in, tc.edits),
				"edits touch only what AppendEdited appended")
		})
	}
}

func TestAppendEditedAgreesWithTheHostCallByCall(t *testing.T) {
	headers := many(2, [2]string{"x-a", "1"}, [2]string{"x-b", "1"}, [2]string{"x-a", "2"}, [2]string{"x-c", "1"})
	edits := []Edit{
		{Kind: Replace, Name: "x-a", Value: "r"}, {Kind: Remove, Name: "x-b"}, {Kind: Add, Name: "x-b", Value: "n"},
		{Kind: Replace, Name: "x-d", Value: "d"}, {Kind: Remove, Name: "x-missing"}, {Kind: Add, Name: "x-c", Value: "2"},
	}
	h := &fakeHost{headers: append([][2]string(nil), headers...)}
	h.install(t)
	_, err := EditRequestHeaders(edits)
	require.NoError(t, err)
	assert.Equal(t, h.headers, AppendEdited(nil, headers, edits), "same pairs in the same order")
}

func TestAppendEditedReusesDstWithoutAllocating(t *testing.T) {
	in := many(20, [2]string{"x-a", "1"}, [2]string{"x-a", "2"})
	edits := []Edit{{Kind: Replace, Name: "x-a", Value: "3"}, {Kind: Add, Name: "baggage", Value: "k=v"}, {Kind: Remove, Name: "x-h-3"}}
	buf := make([][2]string, 0, 64)
	assert.Zero(t, testing.AllocsPerRun(100, func() { buf = AppendEdited(buf[:0], in, edits) }))
	assert.Equal(t, AppendEdited(nil, in, edits), buf)
	assert.Equal(t, [2]string{}, buf[:cap(buf)][len(buf)], "dropped pairs are cleared from the spare capacity")
}

func BenchmarkAppendEdited(b *testing.B) {
	in := many(20, [2]string{"x-laneway-tenant", "evil"}, [2]string{"baggage", "laneway-tenant=acme"})
	edits := []Edit{{Kind: Remove, Name: "x-laneway-tenant"}, {Kind: Add, Name: "x-laneway-tenant", Value: "acme"}}
	var buf [][2]string
	for b.Loop() {
		buf = AppendEdited(buf[:0], in, edits)
	}
}

// FuzzAppendEdited checks the emulator against a host that applies the same edits one call at a time, as
// Envoy does (fakeHost), and checks that the input stays unmodified.
func FuzzAppendEdited(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3}, "x-a", "v")
	f.Add([]byte{2, 2, 0, 1, 1}, "X-A", "")
	f.Add([]byte{1, 0, 1, 9, 4}, "b", "w")
	f.Fuzz(func(t *testing.T, ops []byte, name, value string) {
		if len(ops) > 64 {
			ops = ops[:64]
		}
		names := []string{"x-a", "b", strings.ToLower(name), ":authority"}
		headers := [][2]string{{":authority", "h"}, {"x-a", "1"}, {"b", "2"}, {"x-a", "3"}, {strings.ToLower(name), value}}
		var edits []Edit
		for i, op := range ops {
			edits = append(edits, Edit{Kind: Op(op % 4), Name: names[(int(op)/4+i)%len(names)], Value: value + strconv.Itoa(i)})
		}
		before := append([][2]string(nil), headers...)
		got := AppendEdited(nil, headers, edits)
		if !assert.ObjectsAreEqual(before, headers) {
			t.Fatalf("input modified: %q", headers)
		}
		h := &fakeHost{headers: append([][2]string(nil), headers...)}
		h.install(t)
		if _, err := EditRequestHeaders(edits); err != nil {
			t.Fatal(err)
		}
		if !assert.ObjectsAreEqual(h.headers, got) && !(len(h.headers) == 0 && len(got) == 0) {
			t.Fatalf("edits %v:\nhost     %q\nemulator %q", edits, h.headers, got)
		}
	})
}
