package synthetic

import (
	"strings"
	"testing"

	"github.com/laneway/laneway/filters/proxyhost"
	"github.com/stretchr/testify/assert"
)

// refusalReference is the straightforward expansion appendRefusalBody must match.
func refusalReference(tmpl string, d *Decision) string {
	return strings.NewReplacer("{id}", d.ID, "{method}", d.Method, "{host}", d.Authority).Replace(tmpl)
}

func TestRefusalBodyExpandsPlaceholdersLikeAReplacer(t *testing.T) {
	d := &Decision{ID: "tx-1", Method: "POST", Authority: "pay:8080"}
	for _, tmpl := range []string{
		DefaultRefuseBody, "", "no placeholders", "{id}", "{id}{method}{host}", "{{id}}", "{", "}{", "{i{id}",
		"{ID} {host", "x{method}y{unknown}z{host}", "{id}{id}", "tail {",
	} {
		var buf proxyhost.Buf
		assert.Equal(t, refusalReference(tmpl, d), string(appendRefusalBody(nil, tmpl, d)), "template %q", tmpl)
		assert.Equal(t, refusalReference(tmpl, d), string(buf.FinishBytes(appendRefusalBody(buf.Start(), tmpl, d))), "in a Buf, template %q", tmpl)
	}
}

func TestMarkerValueIsTheNormalisedValue(t *testing.T) {
	var buf proxyhost.Buf
	for _, id := range []string{"tx-1", "", strings.Repeat("a", 64), "s"} {
		assert.Equal(t, NormalisedValue(id), markerValue(&buf, id))
	}
	assert.Equal(t, "1;id=tx-1", NormalisedValue("tx-1"))
}

func TestRefusalBodyDoesNotRescanInsertedText(t *testing.T) {
	d := &Decision{ID: "{method}", Method: "{id}"}
	assert.Equal(t, "{method}/{id}", string(appendRefusalBody(nil, "{id}/{method}", d)))
}

func FuzzRefusalBody(f *testing.F) {
	f.Add(DefaultRefuseBody, "tx", "POST", "orders:80")
	f.Add("{{id}}{host}{", "{host}", "", "{id}")
	f.Fuzz(func(t *testing.T, tmpl, id, method, host string) {
		d := &Decision{ID: id, Method: method, Authority: host}
		want := refusalReference(tmpl, d)
		if got := string(appendRefusalBody(nil, tmpl, d)); got != want {
			t.Fatalf("appendRefusalBody(%q) = %q, want %q", tmpl, got, want)
		}
		if got := string(appendRefusalBody([]byte("kept"), tmpl, d)); got != "kept"+want {
			t.Fatalf("appendRefusalBody(kept, %q) = %q, want %q", tmpl, got, "kept"+want)
		}
	})
}
