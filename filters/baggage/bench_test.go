package baggage

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	smallInput = []string{"laneway-tenant=acme, sd-routing-key=r1;ttl=30,userId=alice"}
	// largeInput is 64 members in two headers, 8190 bytes combined, the key last.
	largeInput = func() []string {
		var a, b []string
		for i := range 63 {
			m := member("key"+itoa(i), 127)
			if i < 32 {
				a = append(a, m)
			} else {
				b = append(b, m)
			}
		}
		b = append(b, member("laneway-tenant", 125))
		return []string{strings.Join(a, ","), strings.Join(b, ",")}
	}()
	sinkString string
	sinkBool   bool
	sinkInt    int
)

func TestBenchmarkInputsAreNearTheLimits(t *testing.T) {
	b := Parse(largeInput)
	require.Equal(t, MaxMembers, b.Len())
	require.Zero(t, b.Dropped())
	n := len(largeInput[0]) + 1 + len(largeInput[1])
	require.LessOrEqual(t, n, MaxBytes)
	require.Greater(t, n, MaxBytes-64)
}

func BenchmarkParse(b *testing.B) {
	for _, bc := range []struct {
		name string
		in   []string
	}{{"small", smallInput}, {"small-escaped", []string{"laneway-tenant=%61cme,userId=alice%40example.com"}}, {"64members-8KB", largeInput}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				bg := Parse(bc.in)
				sinkInt += bg.Len()
			}
		})
	}
}

func BenchmarkLookup(b *testing.B) {
	for _, bc := range []struct {
		name string
		in   []string
	}{{"small", smallInput}, {"small-escaped", []string{"laneway-tenant=%61cme,userId=alice%40example.com"}}, {"64members-8KB", largeInput}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				sinkString, sinkBool = Lookup(bc.in, "laneway-tenant")
			}
		})
	}
}

func BenchmarkRemoveKeysAndAppend(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		h, _ := RemoveKeys(smallInput, "laneway-tenant")
		sinkString, sinkBool = AppendMember(h, "laneway-tenant", "acme")
	}
}

func BenchmarkRemoveKeysAndAppendInto(b *testing.B) {
	b.ReportAllocs()
	var buf []byte
	for b.Loop() {
		buf, sinkBool = AppendWithoutKeys(buf[:0], smallInput, "laneway-tenant")
		buf, sinkBool = AppendMemberTo(buf, "laneway-tenant", "acme")
	}
}

func TestAppendIntoReusedMemoryDoesNotAllocate(t *testing.T) {
	for _, in := range [][]string{smallInput, largeInput} {
		buf := make([]byte, 0, MaxBytes+64)
		allocs := testing.AllocsPerRun(100, func() {
			buf, sinkBool = AppendWithoutKeys(buf[:0], in, "laneway-tenant")
			buf, sinkBool = AppendMemberTo(buf, "laneway-tenant", "a€")
		})
		assert.Zero(t, allocs, "allocations per rewrite into reused memory")
	}
}

func TestLookupDoesNotAllocateForPlainValues(t *testing.T) {
	for _, in := range [][]string{smallInput, largeInput} {
		allocs := testing.AllocsPerRun(100, func() { sinkString, sinkBool = Lookup(in, "laneway-tenant") })
		assert.Zero(t, allocs, "Lookup allocations per call")
	}
}

func TestParseAllocatesOnlyTheMemberSlice(t *testing.T) {
	for _, in := range [][]string{smallInput, largeInput} {
		allocs := testing.AllocsPerRun(100, func() { bg := Parse(in); sinkInt = bg.Len() })
		assert.Equal(t, 1.0, allocs, "Parse allocations per call")
	}
	escaped := []string{"a=%41,b=x,c=%E2%82%AC,d=%FF"}
	allocs := testing.AllocsPerRun(100, func() { bg := Parse(escaped); sinkInt = bg.Len() })
	assert.Equal(t, 2.0, allocs, "Parse allocations per call with escaped values")
}
