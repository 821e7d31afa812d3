# slawatch — make run starts the daemon on the example config; make test runs every test.
GO          ?= go
BIN         := bin/slawatch
VERSION     ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS     := -X main.version=$(VERSION)
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
FUZZTIME    ?= 30s

.PHONY: build run test test-short bench load lint fuzz clean

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/slawatch

## run: the daemon on configs/example.yaml, store in data/, on http://127.0.0.1:9477/
run: build
	./$(BIN) run --config configs/example.yaml

## test: every test, with the race detector. Integration tests need promtool and
## prometheus on PATH; with SLAWATCH_INTEGRATION=required (as CI sets) they fail
## rather than skip when those are missing.
test:
	$(GO) test -race -count=1 -timeout 15m ./...

test-short:
	$(GO) test -short -count=1 ./...

## bench: Go benchmarks plus the load runs (loopback probing, store growth over
## 45 simulated days); figures go in docs/BENCHMARKS.md. Probing runs at about
## 1,000 probes/s in two shapes, 1,000 endpoints every 1 s and 10,000 every 10 s:
## the probe path alone (probe/), then the whole daemon end to end (daemon/).
LOAD_10K := SLAWATCH_LOAD_ENDPOINTS=10000 SLAWATCH_LOAD_INTERVAL=10s
bench:
	$(GO) test -run '^$$' -bench . -benchmem -count=1 ./...
	SLAWATCH_LOAD=1 $(GO) test -run '^TestLoad1000$$' -count=1 -v -timeout 10m ./probe/
	SLAWATCH_LOAD=1 $(LOAD_10K) $(GO) test -run '^TestLoad1000$$' -count=1 -v -timeout 10m ./probe/
	SLAWATCH_LOAD=1 $(GO) test -run '^TestLoadDaemon$$' -count=1 -v -timeout 10m ./daemon/
	SLAWATCH_LOAD=1 $(LOAD_10K) $(GO) test -run '^TestLoadDaemon$$' -count=1 -v -timeout 10m ./daemon/
	SLAWATCH_LOAD=1 $(GO) test -run '^TestLoadStoreGrowth$$' -count=1 -v -timeout 30m ./store/

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

## fuzz: each fuzz target for FUZZTIME; crashers land in testdata/fuzz and become seeds
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./config/
	$(GO) test -run '^$$' -fuzz '^FuzzParseDuration$$' -fuzztime $(FUZZTIME) ./calendar/

clean:
	rm -rf bin data
