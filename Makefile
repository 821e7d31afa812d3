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

## bench: Go benchmarks plus the loopback load runs; figures go in docs/BENCHMARKS.md
bench:
	$(GO) test -run '^$$' -bench . -benchmem -count=1 ./...
	SLAWATCH_LOAD=1 $(GO) test -run '^TestLoad' -count=1 -v -timeout 20m ./probe/

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
