package synthetic

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// refusalReference is the straightforward expansion RefusalBody must match.
func refusalReference(tmpl string, d *Decision) string {
	return strings.NewReplacer("{id}", d.ID, "{method}", d.Method, "{host}", d.Authority).Replace(tmpl)
}

func TestRefusalBodyExpandsPlaceholdersLikeAReplacer(t *testing.T) {
	d := &Decision{ID: "tx-1", Method: "POST", Authority: "pay:8080"}
	for _, tmpl := range []string{
		DefaultRefuseBody, "", "no placeholders", "{id}", "{id}{method}{host}", "{{id}}", "{", "}{", "{i{id}",
		"{ID} {host", "x{method}y{unknown}z{host}", "{id}{id}", "tail {",
	} {
		c := Config{RefuseBody: tmpl}
		assert.Equal(t, refusalReference(tmpl, d), c.RefusalBody(d), "template %q", tmpl)
		assert.Equal(t, refusalReference(tmpl, d), string(c.RefusalBodyBytes(d)), "bytes for template %q", tmpl)
	}
}

func TestMarkerValueIsTheNormalisedValue(t *testing.T) {
	var c Config
	for _, id := range []string{"tx-1", "", strings.Repeat("a", 64), "s"} {
		assert.Equal(t, NormalisedValue(id), c.MarkerValue(id))
	}
	assert.Equal(t, "1;id=tx-1", NormalisedValue("tx-1"))
}

func TestRefusalBodyDoesNotRescanInsertedText(t *testing.T) {
	c := Config{RefuseBody: "{id}/{method}"}
	d := &Decision{ID: "{method}", Method: "{id}"}
	assert.Equal(t, "{method}/{id}", c.RefusalBody(d))
}

func FuzzRefusalBody(f *testing.F) {
	f.Add(DefaultRefuseBody, "tx", "POST", "orders:80")
	f.Add("{{id}}{host}{", "{host}", "", "{id}")
	f.Fuzz(func(t *testing.T, tmpl, id, method, host string) {
		d := &Decision{ID: id, Method: method, Authority: host}
		c := Config{RefuseBody: tmpl}
		want := refusalReference(tmpl, d)
		if got := c.RefusalBody(d); got != want {
			t.Fatalf("RefusalBody(%q) = %q, want %q", tmpl, got, want)
		}
		if got := string(c.RefusalBodyBytes(d)); got != want {
			t.Fatalf("RefusalBodyBytes(%q) = %q, want %q", tmpl, got, want)
		}
	})
}
