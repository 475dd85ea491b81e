package shadowtag

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const textCompare = `"compare":{"role":"candidate","collector":{"cluster":"outbound|8080||collector","authority":"collector:8080","path":"/c","timeoutMs":900},` +
	`"sampleRate":0.125,"headers":["content-type","x-b"],"bodyLimit":2048,"service":"orders","batchSize":8,"flushMs":250,"shards":3}`

// The start-up summary and the configuration errors are built without fmt (it would link fmt's printing code,
// reflect and internal/fmtsort into the modules, about 0.3 MB): these are the exact texts fmt produced.
func TestSummaryAndConfigErrorTextsAreExact(t *testing.T) {
	summaries := []struct{ name, config, want string }{
		{"inbound with redaction and compare", `{"mode":"inbound","inbound":{"restoreHost":false,"redact":{"headers":["authorization","x-a"],"jsonFields":["user.email","card"],"mask":"[hidden value]"}},` + textCompare + `}`,
			"shadowtag: mode=inbound detect=[x-laneway-shadow header, laneway-shadow baggage, -shadow host suffix (inbound)] inbound{restoreHost=false baggage=true" +
				` redact{headers=[authorization,x-a] jsonFields=[user.email,card] mask="[hidden value]"}} compare{role=candidate collector=outbound|8080||collector (collector:8080/c)` +
				" sample=0.125 headers=[content-type,x-b] bodyLimit=2048 batch=8 flush=250ms queue<=48 shards=3}"},
		{"outbound suppressing", `{"mode":"outbound","detect":{"hostSuffix":false,"markerHeaders":[{"name":"x-mirror"},{"name":"x-m2","value":"on"}]},"outbound":{"allow":["audit","*.b"],"response":{"status":299,"body":"gone"}}}`,
			"shadowtag: mode=outbound detect=[x-laneway-shadow header, laneway-shadow baggage, header x-mirror, header x-m2=on] outbound{methods=POST,PUT,PATCH,DELETE allow=[audit,*.b] action=suppress status=299 body=4B}"},
		{"auto rerouting", `{"mode":"auto","detect":{"shadowWorkload":true},"inbound":{"baggage":false},"outbound":{"mutatingMethods":["POST"],"action":"reroute","reroute":{"header":"x-r","value":"double v2"}}}`,
			"shadowtag: mode=auto detect=[x-laneway-shadow header, laneway-shadow baggage, -shadow host suffix (inbound), shadow workload (every request)] inbound{restoreHost=false baggage=false} outbound{methods=POST allow=[] action=reroute header=x-r:double v2}"},
		{"waypoint", `{"mode":"waypoint","detect":{"principals":["spiffe://cluster.local/ns/shop/sa/b-candidate","spiffe://cluster.local/ns/shadow/sa/*"]}}`,
			"shadowtag: mode=waypoint detect=[x-laneway-shadow header, laneway-shadow baggage, -shadow host suffix (inbound), caller spiffe://cluster.local/ns/shop/sa/b-candidate, caller spiffe://cluster.local/ns/shadow/sa/*] inbound{restoreHost=false baggage=true} outbound{methods=POST,PUT,PATCH,DELETE allow=[] action=suppress status=202 body=168B}"},
		{"edge", `{"mode":"edge","detect":{"markerHeaders":[{"name":"x-mirror"}]}}`,
			"shadowtag: mode=edge detect=[x-laneway-shadow header, laneway-shadow baggage, -shadow host suffix (inbound), header x-mirror] strips=[x-laneway-shadow, laneway-shadow baggage, x-mirror, x-laneway-shadow-route]"},
	}
	for _, tc := range summaries {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ParseConfig([]byte(tc.config))
			require.NoError(t, err)
			assert.Equal(t, tc.want, c.Summary())
		})
	}

	errs := []struct{ name, config, want string }{
		{"reroute value", `{"mode":"outbound","outbound":{"reroute":{"value":" x"}}}`,
			"a header value: 1 to 256 visible ASCII characters and inner spaces"},
		{"marker value", `{"mode":"inbound","detect":{"markerHeaders":[{"name":"x","value":"a\u0001b"}]}}`,
			"a header value: 0 to 256 visible ASCII characters and inner spaces"},
		{"response headers", `{"mode":"outbound","outbound":{"response":{"headers":[]}}}`,
			"a JSON object of at most 16 header names to string values"},
		{"response body", `{"mode":"outbound","outbound":{"response":{"body":"` + strings.Repeat("b", MaxResponseBody+1) + `"}}}`,
			"a string of at most 65536 bytes"},
		{"compare flushMs", `{"mode":"inbound","compare":{"role":"primary","collector":{"cluster":"c","authority":"a"},"flushMs":0}}`,
			"an integer from 10 to 60000"},
		{"compare bodyLimit", `{"mode":"inbound","compare":{"role":"primary","collector":{"cluster":"c","authority":"a"},"bodyLimit":-1}}`,
			"an integer from 0 to 65536"},
	}
	for _, tc := range errs {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseConfig([]byte(tc.config))
			var ce *ConfigError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, tc.want, ce.Allowed)
		})
	}
}
