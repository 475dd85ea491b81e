# laneway: see README.md. Every target works on a fresh clone with Go installed; `tools` (and so `test`)
# also needs Node.js >= 20.6 and npm, for the OpenTelemetry JS app the tests put between two sidecars.
GO      ?= go
BIN     := $(CURDIR)/bin
REGISTRY_VERSION := v3.1.2
FUZZTIME ?= 10s
JSAPP   := testenv/apphop/js

.PHONY: all build test soak test-race bench pgo fuzz check demo tools clean

all: build test

## build: compile the shipped filters to dist/<name>.wasm and the test fixtures to .build/fixtures/ (standard Go, wasip1, c-shared)
build:
	./.ci/heartbeat build $(GO) run ./packager/cmd/wasmbuild

## tools: install what the tests need beyond Go (the tests find both by themselves): the registry the packaging
## tests run against (as root with apt-get, Debian's docker-registry package in seconds, its service kept off;
## else go install into bin/, minutes), headless Chromium for the compare web page test (Debian's chromium;
## installed when run as root), and the npm packages of the OpenTelemetry JS app hop (npm ci, as pinned in
## testenv/apphop/js/package-lock.json)
tools: registry chromium $(JSAPP)/node_modules/.package-lock.json
.PHONY: registry chromium
registry:
	@GO=$(GO) ./.ci/heartbeat tools ./.ci/install-registry $(BIN) $(REGISTRY_VERSION)
chromium:
	@if command -v chromium >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; \
	else echo "chromium: not installed; the compare web page test needs it: run 'sudo apt-get install -y chromium' (or make tools as root)"; fi
# npm ci writes node_modules/.package-lock.json, so this reruns whenever the lockfile changes.
$(JSAPP)/node_modules/.package-lock.json: $(JSAPP)/package.json $(JSAPP)/package-lock.json
	cd $(JSAPP) && npm ci --ignore-scripts --no-audit --no-fund

## test: build the modules, then run every test (Go leg, Wasm leg, local mesh, packaging). testprogress prints
## what go test prints, plus a line naming the running tests whenever nothing was printed for 20 s
test: build tools
	./.ci/heartbeat test $(GO) build -o $(BIN)/testprogress ./packager/cmd/testprogress
	$(BIN)/testprogress -go $(GO) -save dist/test-events.json -- -count=1 -timeout 30m ./...
	$(BIN)/testprogress -go $(GO) -- -count=1 -race -timeout 20m -run 'Hammer' ./testenv/...

## soak: the memory soak at full length (1,000,000 requests per filter; make test runs 250,000). CI runs it too
soak: build
	./.ci/heartbeat soak $(GO) build -o $(BIN)/testprogress ./packager/cmd/testprogress
	LANEWAY_SOAK_REQUESTS=1000000 $(BIN)/testprogress -go $(GO) -- -count=1 -timeout 30m -run 'Soak' ./testenv/hardening/

## bench: run the benchmarks and write the markdown report BENCHMARKS.md
## (-p 1: one package's benchmarks at a time; in parallel they compete for the cores and skew the ratios).
## The Go modules are set beside their C++ SDK and C peers (PEERS, outside this repository) on wazero
## (BenchmarkPeers) and, when node is installed, on V8 through the Node host in V8HOST (also outside, used
## in place, never copied here); the report says when either is absent.
PEERS  ?= $(abspath $(CURDIR)/../shared/peers/wasm)
V8HOST ?= $(abspath $(CURDIR)/../shared/v8host)
bench: build
	LANEWAY_PEERS_DIR=$(PEERS) $(GO) test -p 1 -run '^$$' -bench . -benchmem -count 1 -timeout 60m ./... | tee dist/bench.txt
	@rm -f dist/v8peers.json dist/v8peers.absent; \
	if ! command -v node >/dev/null 2>&1; then echo "node is not installed (apt-get install nodejs), so V8 was not measured" > dist/v8peers.absent; \
	elif [ ! -f "$(V8HOST)/host.js" ]; then echo "the V8 host is absent: no $(V8HOST)/host.js (set V8HOST=folder)" > dist/v8peers.absent; \
	elif [ ! -f "$(PEERS)/cpp-noop.wasm" ]; then echo "the peers are absent: no $(PEERS)/cpp-noop.wasm (set PEERS=folder)" > dist/v8peers.absent; \
	else echo "bench: the peer comparison on V8 (node $$(node --version))"; \
	  node --no-liftoff testenv/costbench/v8peers.js --v8host "$(V8HOST)" --dist dist --peers "$(PEERS)" --processes 5 --json dist/v8peers.json \
	  || echo "the V8 comparison failed (its error is above)" > dist/v8peers.absent; fi
	$(GO) run ./packager/cmd/benchreport -v8 dist/v8peers.json -v8-absent dist/v8peers.absent < dist/bench.txt > BENCHMARKS.md
	@echo "wrote BENCHMARKS.md"

## pgo: write the profiles the Wasm build optimizes each shipped filter with (filters/<name>/default.pgo, which
## go build picks up by itself): CPU profiles of laneway's code running natively on the cost benchmarks'
## requests (testenv/costbench/cmd/pgoprofile). Run it after changing a filter's request path and commit them.
pgo:
	$(GO) run ./testenv/costbench/cmd/pgoprofile -go $(GO) -per 4s

## fuzz: a short run of every fuzz target (FUZZTIME each)
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
	    echo "fuzz $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

## check: gofmt, go vet, and go mod tidy must leave no diff
check:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); echo "gofmt: files above need formatting"; exit 1)
	./.ci/heartbeat check $(GO) vet ./...
	$(GO) mod tidy -diff

## demo: the main job end to end on embedded defaults (local mesh, OTel traffic, what happened and why,
## a verdict per promise; exits 1 when one did not hold). It compiles the CLI into bin/laneway first (a
## line every 5 s meanwhile), then the CLI builds the shipped filters it needs, one line per module.
demo:
	@echo "demo: compiling the laneway CLI into bin/laneway (a minute or two on a fresh machine, seconds after that)"
	@$(GO) build -o $(BIN)/laneway ./packager/cmd/laneway & pid=$$!; t=0; \
	  while kill -0 $$pid 2>/dev/null; do sleep 1; t=$$((t+1)); \
	    if [ $$((t % 5)) -eq 0 ] && kill -0 $$pid 2>/dev/null; then echo "  still compiling the CLI ($${t}s)"; fi; \
	  done; wait $$pid
	@echo "demo: running bin/laneway demo"
	$(BIN)/laneway demo

clean:
	rm -rf dist .build bin $(JSAPP)/node_modules
