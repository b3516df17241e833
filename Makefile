# djfront — the two commands a user needs are `make demo` and `make test`.
GO       ?= go
GOBIN    := $(shell $(GO) env GOPATH)/bin
LAMBDA   := CGO_ENABLED=0 GOOS=linux
LDFLAGS  := -s -w
FUNCS    := hostforward invalidate rotate

.PHONY: all deps test test-short lint build fuzz bench clean demo local

all: build

## deps: install everything the tests need (apt packages, pinned Go tools); idempotent.
deps:
	bash scripts/install-deps.sh

## test: every test — lint, unit, fuzz seed corpora, integration and end-to-end.
test: deps lint
	$(GO) test -race -count=1 ./...

## demo: the whole chain on loopback (moto for AWS, Django, hostforward and invalidate under the local
## Runtime API, the local CloudFront + API Gateway edge on 127.0.0.1:3000), a guided tour, then stop.
demo: deps
	$(GO) run ./cmd/djfront-local

## local: the same, then stay up for a browser at https://localhost:3000/ until Ctrl-C.
local: deps
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
bench: deps
	bash bench/hostforward.sh
	bash bench/invalidate.sh
	bash bench/serverless.sh

lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GOBIN)/staticcheck ./...

## build: the Lambda binaries for the host (bin/NAME/bootstrap), as Lambda runs them.
build: $(FUNCS:%=bin/%/bootstrap)

bin/%/bootstrap: FORCE
	$(LAMBDA) $(GO) build -tags lambda.norpc -trimpath -ldflags='$(LDFLAGS)' -o $@ ./functions/$*

## sam build (Metadata: BuildMethod: makefile) calls build-<LogicalId> with ARTIFACTS_DIR set.
build-HostForwardFunction:
	$(LAMBDA) GOARCH=arm64 $(GO) build -tags lambda.norpc -trimpath -ldflags='$(LDFLAGS)' -o $(ARTIFACTS_DIR)/bootstrap ./functions/hostforward

## The in-function mode's layer (BuildMethod makefile): ARTIFACTS_DIR is what Lambda unpacks at /opt —
## hostforward and the AWS_LAMBDA_EXEC_WRAPPER that starts it (deploy/layer).
build-HostForwardLayer:
	mkdir -p "$(ARTIFACTS_DIR)/djfront"
	$(LAMBDA) GOARCH=arm64 $(GO) build -tags lambda.norpc -trimpath -ldflags='$(LDFLAGS)' -o "$(ARTIFACTS_DIR)/djfront/hostforward" ./functions/hostforward
	install -m 0755 deploy/layer/djfront-wrapper "$(ARTIFACTS_DIR)/djfront-wrapper"

build-InvalidateFunction:
	$(LAMBDA) GOARCH=arm64 $(GO) build -tags lambda.norpc -trimpath -ldflags='$(LDFLAGS)' -o $(ARTIFACTS_DIR)/bootstrap ./functions/invalidate

build-RotateFunction:
	$(LAMBDA) GOARCH=arm64 $(GO) build -tags lambda.norpc -trimpath -ldflags='$(LDFLAGS)' -o $(ARTIFACTS_DIR)/bootstrap ./functions/rotate

clean:
	rm -rf bin

FORCE:
