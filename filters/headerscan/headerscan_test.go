package headerscan

import "testing"

// authorityRef is Authority as one pass: the last :authority, else the first non-empty host.
func authorityRef(headers [][2]string) string {
	authority, host := "", ""
	for _, h := range headers {
		switch h[0] {
		case ":authority":
			authority = h[1]
		case "host":
			if host == "" {
				host = h[1]
			}
		}
	}
	if authority == "" {
		return host
	}
	return authority
}

func TestAuthorityIsTheLastAuthorityElseTheFirstHost(t *testing.T) {
	for _, tc := range []struct {
		headers [][2]string
		want    string
	}{
		{nil, ""},
		{[][2]string{{":method", "GET"}, {":authority", "a:80"}, {"host", "h"}}, "a:80"},
		{[][2]string{{":authority", "a"}, {":authority", "b"}}, "b"},
		{[][2]string{{":authority", "a"}, {":authority", ""}, {"host", "h1"}, {"host", "h2"}}, "h1"},
		{[][2]string{{"user-agent", "x"}, {"host", "h"}, {":authoritY", "no"}}, "h"},
		{[][2]string{{"hosT", "no"}}, ""},
		{[][2]string{{"host", ""}, {"host", "h2"}}, "h2"},
	} {
		if got := Authority(tc.headers); got != tc.want || got != authorityRef(tc.headers) {
			t.Errorf("Authority(%q) = %q, want %q", tc.headers, got, tc.want)
		}
	}
}

func FuzzAuthority(f *testing.F) {
	f.Add(uint8(3), "a", "h", "")
	names := []string{":authority", "host", "hosx", ":authoritx", "user-agent", "baggage"}
	f.Fuzz(func(t *testing.T, pick uint8, v1, v2, v3 string) {
		vals := []string{v1, v2, v3}
		var headers [][2]string
		for i := 0; i < 3; i++ {
			headers = append(headers, [2]string{names[int(pick>>(2*i))%len(names)], vals[i]})
		}
		if got, want := Authority(headers), authorityRef(headers); got != want {
			t.Fatalf("Authority(%q) = %q, want %q", headers, got, want)
		}
	})
}
