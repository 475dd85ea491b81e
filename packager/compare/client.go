package compare

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// maxReportBytes bounds a replica's report read by FetchReport.
const maxReportBytes = 64 << 20

// CollectorURL checks a collector base URL (http or https, a host, no query) and returns it
// without a trailing slash.
func CollectorURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("collector: got %q, expected a base URL such as http://laneway-compare.shop:8080", raw)
	}
	return strings.TrimRight(raw, "/"), nil
}

// FetchReport reads one replica's own report (GET /v1/report?scope=local) and checks it.
func FetchReport(ctx context.Context, c *http.Client, base string) (*Report, error) {
	var r Report
	if err := getJSON(ctx, c, base, "/v1/report?scope=local", &r); err != nil {
		return nil, err
	}
	if err := r.Validate(); err != nil {
		return nil, fmt.Errorf("collector %s: report refused: %w", base, err)
	}
	return &r, nil
}

// FetchPair reads one retained request from a replica (GET /v1/pairs/{id}).
func FetchPair(ctx context.Context, c *http.Client, base, id string) (PairView, error) {
	var v PairView
	err := getJSON(ctx, c, base, "/v1/pairs/"+url.PathEscape(id), &v)
	return v, err
}

func getJSON(ctx context.Context, c *http.Client, base, path string, v any) error {
	base, err := CollectorURL(base)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+path, nil)
	if err != nil {
		return fmt.Errorf("collector %s: %w", base, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("collector %s: %w (is `laneway compare serve` running there?)", base, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxReportBytes+1))
	if err != nil {
		return fmt.Errorf("collector %s: read %s: %w", base, path, err)
	}
	if len(body) > maxReportBytes {
		return fmt.Errorf("collector %s: %s larger than %d bytes, expected a report", base, path, maxReportBytes)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(body, &e) == nil && e.Error != "" {
			return fmt.Errorf("collector %s: GET %s: %s: %s", base, path, resp.Status, e.Error)
		}
		return fmt.Errorf("collector %s: GET %s: got %s, expected 200 OK (is this a laneway compare collector?)", base, path, resp.Status)
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("collector %s: GET %s: not a laneway compare answer (%v); expected the JSON of the same laneway version", base, path, err)
	}
	return nil
}
