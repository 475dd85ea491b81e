package compare

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"time"
)

//go:embed web
var webFiles embed.FS

// DefaultMaxBatchBytes bounds one POST /v1/captures body.
const DefaultMaxBatchBytes = 8 << 20

// ServerOptions configure the collector's HTTP API.
type ServerOptions struct {
	// MaxBatchBytes bounds a capture batch (DefaultMaxBatchBytes when 0).
	MaxBatchBytes int64
	// Peers are the other replicas' base URLs: with ?scope=all the report, endpoint and pair
	// endpoints (and so the web page) merge them in.
	Peers []string
	// Client talks to the peers (a client with a 5 s timeout when nil).
	Client *http.Client
}

// Handler serves the collector's API and web page:
//
//	POST /v1/captures            a capture batch; 202 {"accepted":N} or 400 {"error":...}
//	GET  /v1/report              this replica's report (?scope=all: merged with the peers)
//	GET  /v1/endpoints/{key...}  one endpoint of the report, by key "service METHOD /path"
//	GET  /v1/pairs/{id}          one retained request, each role's response and the differences
//	GET  /healthz                liveness and readiness
//	GET  /                       the web page
func Handler(c *Collector, o ServerOptions) http.Handler {
	if o.MaxBatchBytes <= 0 {
		o.MaxBatchBytes = DefaultMaxBatchBytes
	}
	if o.Client == nil {
		o.Client = &http.Client{Timeout: 5 * time.Second}
	}
	s := &server{c: c, o: o}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/captures", s.captures)
	mux.HandleFunc("GET /v1/report", s.report)
	mux.HandleFunc("GET /v1/endpoints/{key...}", s.endpoint)
	mux.HandleFunc("GET /v1/pairs/{id}", s.pair)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	web, _ := fs.Sub(webFiles, "web")
	mux.Handle("GET /", http.FileServerFS(web))
	return mux
}

type server struct {
	c *Collector
	o ServerOptions
}

func (s *server) captures(w http.ResponseWriter, r *http.Request) {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		s.c.Refused()
		writeError(w, http.StatusUnsupportedMediaType, fmt.Sprintf("content-type: got %q, expected application/json", r.Header.Get("Content-Type")))
		return
	}
	caps, err := DecodeBatch(http.MaxBytesReader(w, r.Body, s.o.MaxBatchBytes))
	if err != nil {
		s.c.Refused()
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("batch: larger than %d bytes, expected smaller batches (or a larger --max-batch-bytes)", s.o.MaxBatchBytes))
			return
		}
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	res := s.c.Add(caps)
	writeJSON(w, http.StatusAccepted, map[string]int{"accepted": res.Accepted, "duplicates": res.Duplicates, "conflicts": res.Conflicts})
}

// scopedReport returns this replica's report, merged with the peers' when ?scope=all.
func (s *server) scopedReport(r *http.Request) (*Report, error) {
	local := s.c.Report()
	switch scope := r.URL.Query().Get("scope"); scope {
	case "", "local":
		return local, nil
	case "all":
		reports := []*Report{local}
		for _, p := range s.o.Peers {
			pr, err := FetchReport(r.Context(), s.o.Client, p)
			if err != nil {
				return nil, err
			}
			reports = append(reports, pr)
		}
		return Merge(nil, reports...)
	default:
		return nil, fmt.Errorf("scope: got %q, expected local or all", scope)
	}
}

func (s *server) report(w http.ResponseWriter, r *http.Request) {
	rep, err := s.scopedReport(r)
	if err != nil {
		writeError(w, http.StatusBadGateway, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

func (s *server) endpoint(w http.ResponseWriter, r *http.Request) {
	key := r.PathValue("key")
	if _, ok := ParseEndpointKey(key); !ok {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("endpoint: got %q, expected a key \"service METHOD /path\" (URL-escaped), as listed in /v1/report", key))
		return
	}
	rep, err := s.scopedReport(r)
	if err != nil {
		writeError(w, http.StatusBadGateway, err.Error())
		return
	}
	e, ok := rep.Endpoint(key)
	if !ok {
		writeError(w, http.StatusNotFound, fmt.Sprintf("endpoint %q: no comparison yet, expected one of the keys in /v1/report", key))
		return
	}
	writeJSON(w, http.StatusOK, e)
}

func (s *server) pair(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if v, ok := s.c.Pair(id); ok {
		writeJSON(w, http.StatusOK, v)
		return
	}
	if r.URL.Query().Get("scope") == "all" {
		for _, p := range s.o.Peers {
			if v, err := FetchPair(r.Context(), s.o.Client, p, id); err == nil {
				writeJSON(w, http.StatusOK, v)
				return
			}
		}
	}
	writeError(w, http.StatusNotFound, fmt.Sprintf("pair %q: not retained, expected a request id captured within --max-age and among the last --max-pairs", id))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}
