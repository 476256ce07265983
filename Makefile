# HyperSDK — `make help` lists every target.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X github.com/hypersdk/hypersdk/core/buildinfo.Version=$(VERSION)
TOOLS   := $(CURDIR)/bin/tools
# Every Go module of the workspace; each is also built on its own (GOWORK=off) by `make lint`.
MODULES := sdk core cmd/hypervisord cmd/hyperctl $(patsubst %/go.mod,%,$(wildcard plugins/*/go.mod))
PKGS    := $(addsuffix /...,$(addprefix ./,$(MODULES)))
# Provider binaries: plugins/<name> and the SDK's example test provider.
PLUGINS := $(patsubst plugins/%/go.mod,%,$(wildcard plugins/*/go.mod))
PROTOC_GEN_GO      := google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
PROTOC_GEN_GO_GRPC := google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.6.2

.PHONY: help build plugins run deps test bench proto tools lint clean

help: ## list the targets
	@awk 'BEGIN{FS=":.*## "} /^[a-z-]+:.*## /{printf "  %-8s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

build: ## build hypervisord and hyperctl into bin/
	go build -trimpath -ldflags '$(LDFLAGS)' -o bin/hypervisord ./cmd/hypervisord
	go build -trimpath -ldflags '$(LDFLAGS)' -o bin/hyperctl ./cmd/hyperctl

plugins: ## build every provider binary into plugins.d/
	@mkdir -p plugins.d
	@for p in $(PLUGINS); do echo "  plugin $$p"; (cd plugins/$$p && go build -trimpath -ldflags '$(LDFLAGS)' -o ../../plugins.d/hypersdk-provider-$$p .) || exit 1; done
	go build -trimpath -o plugins.d/hypersdk-provider-testprovider ./sdk/examples/testprovider

deps: ## install the host tools the daemon and README examples need (qemu-img, libvirt, QEMU, OVMF, curl, jq; Debian packages, as root) and start libvirtd
	deploy/install-deps.sh

run: deps build plugins ## build and start the daemon on the embedded vSphere simulator at 127.0.0.1:8080
	./bin/hypervisord --config deploy/demo.yaml

test: tools ## run every test under the race detector (real qemu-img, plugins as real processes); CI=true turns missing peers into failures
	deploy/install-deps_test.sh
	deploy/install-deps.sh --test
	@# -race needs cgo. The daemon and plugins the end-to-end tests build for themselves are
	@# ordinary builds: the race detector watches the test processes only.
	PATH="$(TOOLS):$$PATH" CGO_ENABLED=1 go test -race -count=1 -timeout 30m $(PKGS)

bench: deps ## benchmarks, printed as ratios against the tools users would otherwise run
	@# The comparisons (Benchmark*Vs*) take a second or more per op: three rounds each, so one
	@# noisy round on a shared VM does not decide the ratio.
	go test -run '^$$' -bench 'Vs' -benchtime 3x -benchmem $(PKGS)
	go test -run '^$$' -bench . -skip 'Vs' -benchmem $(PKGS)

tools: ## install the pinned protoc plugins into bin/tools
	@test -x $(TOOLS)/protoc-gen-go && test -x $(TOOLS)/protoc-gen-go-grpc || { GOBIN=$(TOOLS) go install $(PROTOC_GEN_GO) && GOBIN=$(TOOLS) go install $(PROTOC_GEN_GO_GRPC); }

proto: tools ## regenerate the provider wire code from sdk/proto
	PATH="$(TOOLS):$$PATH" protoc --proto_path=sdk/proto \
	  --go_out=sdk/internal/providerpb --go_opt=module=github.com/hypersdk/hypersdk/sdk/internal/providerpb \
	  --go-grpc_out=sdk/internal/providerpb --go-grpc_opt=module=github.com/hypersdk/hypersdk/sdk/internal/providerpb \
	  hypersdk/provider/v2/provider.proto

lint: ## gofmt, go vet, and build each module on its own
	@out=$$(gofmt -l $(MODULES)); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	go vet $(PKGS)
	@for m in $(MODULES); do (cd $$m && GOWORK=off go build ./...) || exit 1; done

clean: ## remove build output
	rm -rf bin plugins.d/hypersdk-provider-*
