# oktalms — every target installs what it needs; only Go and gcc (for SQLite's cgo) are assumed.
GO      ?= go
BIN     := bin/oktalms
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)
export CGO_ENABLED = 1

.PHONY: all build test test-race test-html test-crash demo lint depcheck bench

all: build

build: ## build bin/oktalms
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/oktalms

test: ## vet, check the import rules, run every test
	$(GO) vet ./...
	$(GO) test -count=1 ./...

test-race: ## every test again under the race detector
	$(GO) test -race -count=1 ./...

depcheck: ## the one-way import rules of the design (go list -deps)
	$(GO) test -count=1 -run '^TestImportRules' ./cmd/oktalms

test-crash: ## SIGKILL oktalms sync at 20+ points of an apply, rerun, check nothing was lost or done twice
	OKTALMS_CRASH_TEST=1 $(GO) test -count=1 -run '^TestCrashRecovery$$' -v ./cmd/oktalms

BENCH_SIZES ?= 10000,100000
bench: ## the "Scale to 100,000 people" measurement: a table of runs per size (BENCH_SIZES=10000 for 10k only)
	OKTALMS_BENCH=$(BENCH_SIZES) $(GO) test -count=1 -run '^TestBench$$' -v -timeout 120m ./cmd/oktalms

CHROMIUM ?= /usr/bin/chromium
test-html: ## open every golden HTML report in headless Chromium; installs Debian's chromium if missing
	@command -v $(CHROMIUM) >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }
	OKTALMS_CHROMIUM=$(CHROMIUM) $(GO) test -count=1 -run '^TestHTMLRendersInChromium$$' -v ./reconcile/report

demo: build ## run the whole sync on the built-in Okta and Lessonly simulators
	./$(BIN) demo

lint: ## gofmt, go vet and staticcheck (pinned in go.mod's tools) must be clean
	@out="$$(gofmt -l .)"; if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) tool staticcheck ./...
