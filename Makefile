# djfront — the two commands a user needs are `make demo` and `make test`.
GO       ?= go
GOBIN    := $(shell $(GO) env GOPATH)/bin
LAMBDA   := CGO_ENABLED=0 GOOS=linux
LDFLAGS  := -s -w
FUNCS    := hostforward invalidate rotate

.PHONY: all install tools test test-short lint build dist fuzz bench clean demo local

all: build

## install: the Debian packages the tests and the demo need (PostgreSQL, Chromium; as root; .ci/run runs it
## first); idempotent.
install:
	bash scripts/install-system.sh

## tools: the pinned tools that need no root (the Python 3.12 environment .venv from requirements/, Go tools);
## idempotent and quick once done, run by test, demo, local and bench.
tools:
	bash scripts/install-tools.sh

## test: every test — lint, unit, fuzz seed corpora, integration and end-to-end. Needs no root.
test: tools lint
	$(GO) test -race -count=1 -timeout 45m ./...

## demo: the whole chain on loopback (moto for AWS, Django, hostforward and invalidate under the local
## Runtime API, the local CloudFront + API Gateway edge on 127.0.0.1:3000), a guided tour, then stop.
demo: tools
	$(GO) run ./cmd/djfront-local

## local: the same, then stay up for a browser at https://localhost:3000/ until Ctrl-C.
local: tools
	$(GO) run ./cmd/djfront-local -stay

## test-short: the fast, pure unit tests; needs nothing external.
test-short:
	$(GO) test -short ./...

## fuzz: run every fuzz target for FUZZTIME each (their seed corpora already run in every go test).
FUZZTIME ?= 30s
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for fz in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$fz"; $(GO) test -run '^$$' -fuzz "^$$fz\$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

## bench: the benchmarks behind bench/README.md, each against its baseline in the same run.
bench: tools
	bash bench/hostforward.sh
	bash bench/invalidate.sh
	bash bench/serverless.sh
	bash bench/peers.sh

## lint: gofmt, go mod tidy (no diff), go vet, staticcheck.
lint:
	@$(GO) mod tidy -diff >/dev/null || { echo "go.mod/go.sum not tidy: run go mod tidy"; $(GO) mod tidy -diff; exit 1; }
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GOBIN)/staticcheck ./...

## build: the Lambda binaries for the host (bin/NAME/bootstrap), as Lambda runs them.
build: $(FUNCS:%=bin/%/bootstrap)

# lambda-binary builds ./functions/$(1) into $(2): the one Lambda build rule (CGO off, no net/rpc, stripped).
lambda-binary = $(LAMBDA) $(GO) build -tags lambda.norpc -trimpath -ldflags='$(LDFLAGS)' -o $(2) ./functions/$(1)

bin/%/bootstrap: FORCE
	$(call lambda-binary,$*,$@)

## sam build (Metadata: BuildMethod: makefile) calls build-<LogicalId> with ARTIFACTS_DIR set; Lambda runs arm64.
build-HostForwardFunction build-InvalidateFunction build-RotateFunction: build-%Function:
	GOARCH=arm64 $(call lambda-binary,$(shell echo '$*' | tr A-Z a-z),$(ARTIFACTS_DIR)/bootstrap)

## The in-function mode's layer: ARTIFACTS_DIR is what Lambda unpacks at /opt — hostforward and the
## AWS_LAMBDA_EXEC_WRAPPER that starts it (deploy/layer).
build-HostForwardLayer:
	mkdir -p "$(ARTIFACTS_DIR)/djfront"
	GOARCH=arm64 $(call lambda-binary,hostforward,"$(ARTIFACTS_DIR)/djfront/hostforward")
	install -m 0755 deploy/layer/djfront-wrapper "$(ARTIFACTS_DIR)/djfront-wrapper"

## dist: the wheels `pip install djfront` installs, into DIST (docs/install.md): one per platform of the djfront
## command, each with the Django package and the linux/arm64 Lambda artifacts (the build-* rules above, into
## djfront/_artifacts). Reproducible: no VCS stamp, -trimpath, fixed zip timestamps. Needs Python 3.11+.
## The command runs the Lambdas itself for djfront local (djfront __lambda NAME): lambda.norpc keeps
## aws-lambda-go's net/rpc server out, which would double its size (its reflection defeats dead-code removal).
DIST          ?= dist
DIST_STAGE     = $(abspath $(DIST))/.stage
DIST_VERSION   = $(shell $(PYTHON3) scripts/build-wheels.py --version)
CLI_PLATFORMS := linux/amd64 linux/arm64 darwin/amd64 darwin/arm64
PYTHON3       ?= python3
dist: export GOFLAGS = -buildvcs=false
dist:
	rm -rf "$(DIST)"
	@for fn in HostForward Invalidate Rotate; do \
	  dir=$$(echo $$fn | tr A-Z a-z); \
	  $(MAKE) --no-print-directory build-$${fn}Function ARTIFACTS_DIR="$(DIST_STAGE)/artifacts/$$dir" || exit 1; \
	done
	@$(MAKE) --no-print-directory build-HostForwardLayer ARTIFACTS_DIR="$(DIST_STAGE)/artifacts/layer"
	@for p in $(CLI_PLATFORMS); do \
	  echo "djfront $(DIST_VERSION) for $$p"; \
	  CGO_ENABLED=0 GOOS=$${p%/*} GOARCH=$${p#*/} $(GO) build -tags lambda.norpc -trimpath \
	    -ldflags='$(LDFLAGS) -X main.version=$(DIST_VERSION)' -o "$(DIST_STAGE)/cli/$${p%/*}-$${p#*/}/djfront" ./cmd/djfront \
	    || exit 1; \
	done
	$(PYTHON3) scripts/build-wheels.py --stage "$(DIST_STAGE)" --out "$(DIST)"
	rm -rf "$(DIST_STAGE)"

clean:
	rm -rf bin dist

FORCE:
