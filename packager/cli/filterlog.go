package cli

import (
	"context"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/laneway/laneway/testenv"
	"github.com/laneway/laneway/testenv/proxy"
)

// defaultFilterLogLevel is Envoy's default level for its loggers, the "wasm" one included (`envoy -l`
// defaults to info). Istio's sidecars start Envoy at warning instead.
const defaultFilterLogLevel = "info"

// envoyLevelNames are spdlog's level names, which Envoy prints.
var envoyLevelNames = map[testenv.LogLevel]string{
	testenv.LogTrace: "trace", testenv.LogDebug: "debug", testenv.LogInfo: "info",
	testenv.LogWarn: "warning", testenv.LogError: "error", testenv.LogCritical: "critical",
}

func envoyLevelName(l testenv.LogLevel) string {
	if n, ok := envoyLevelNames[l]; ok {
		return n
	}
	return l.String()
}

// filterLogWriter prints the filters' own log lines on w. In text format each is one line as Envoy's
// default log format shows a wasm log line:
//
//	[2026-01-02 15:04:05.000][worker 0][warning][wasm] [listener svc-a-outbound] wasm log tenantroute tenantroute: tenantroute: ignoring ...
//
// (Envoy's thread id is the worker here, and its source-location field names the listener.) In json
// format each is one slog JSON record (msg: the filter's message; logger, envoy_level, listener,
// worker, plugin).
type filterLogWriter struct {
	mu   sync.Mutex
	w    io.Writer
	json *slog.Logger
	now  func() time.Time
}

func newFilterLogWriter(w io.Writer, format string) *filterLogWriter {
	f := &filterLogWriter{w: w, now: time.Now}
	if format == "json" {
		f.json = slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.Level(-8)}))
	}
	return f
}

// slogLevel maps an Envoy level onto slog's scale (trace below debug, critical above error).
func slogLevel(l testenv.LogLevel) slog.Level {
	switch l {
	case testenv.LogTrace:
		return slog.LevelDebug - 4
	case testenv.LogDebug:
		return slog.LevelDebug
	case testenv.LogInfo:
		return slog.LevelInfo
	case testenv.LogWarn:
		return slog.LevelWarn
	case testenv.LogError:
		return slog.LevelError
	}
	return slog.LevelError + 4
}

// write prints one filter log line.
func (f *filterLogWriter) write(l proxy.FilterLog) {
	if f.json != nil {
		f.json.Log(context.Background(), slogLevel(l.Level), l.Message,
			"logger", "wasm", "envoy_level", envoyLevelName(l.Level), "listener", l.Listener, "worker", l.Worker, "plugin", l.LogPrefix)
		return
	}
	line := "[" + f.now().Format("2006-01-02 15:04:05.000") + "][worker " + strconv.Itoa(l.Worker) + "][" + envoyLevelName(l.Level) +
		"][wasm] [listener " + l.Listener + "] wasm log " + l.LogPrefix + ": " + l.Message + "\n"
	f.mu.Lock()
	defer f.mu.Unlock()
	_, _ = io.WriteString(f.w, line)
}
