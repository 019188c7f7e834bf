# kubectl-eshell. `make demo` tries it on a local cluster; `make test` runs every test.
SHELL := /bin/bash
GO ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo v0.0.0-dev)
LDFLAGS := -s -w -X github.com/sberz/kubectl-eshell/pkg/version.Version=$(VERSION) \
	-X github.com/sberz/kubectl-eshell/pkg/version.Commit=$(shell git rev-parse --short HEAD 2>/dev/null || echo unknown) \
	-X github.com/sberz/kubectl-eshell/pkg/version.Date=$(shell date -u +%Y-%m-%dT%H:%M:%SZ)
export KUBECONFIG_LOCAL := $(CURDIR)/.cluster/kubeconfig

.PHONY: build tools cluster-up cluster-down demo-env demo test test-unit lint bench clean
build: ## the plugin binary, bin/kubectl-eshell
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o bin/kubectl-eshell ./cmd/kubectl-eshell

tools: ## kubectl from the same k8s.io/kubectl version
	$(GO) build -o bin/kubectl ./test/tools/kubectl

cluster-up: ## etcd, control plane, containerd and a real kubelet on 127.0.0.1 (root)
	hack/cluster-up.sh

cluster-down: ## stops the cluster and restores the host state the node changed
	hack/cluster-down.sh

demo-env: tools ## the demo environment in the running cluster
	hack/demo-env.sh

demo: build tools cluster-up demo-env ## build, start the cluster and open kubectl eshell in the demo environment
	hack/demo.sh

test: ## everything: format, vet, lint, unit and end-to-end tests against the local cluster, release archives
	hack/test.sh

test-unit:
	$(GO) test ./pkg/... ./plugins/...

lint: ## gofmt, go vet, then golangci-lint with .golangci.yml (built once into the cache by hack/install-tools.sh)
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	@g="$$(bash hack/install-tools.sh golangci-lint)" && echo "golangci-lint run ./..." && nice -n 10 "$$g" run --allow-parallel-runners ./...

bench: build tools cluster-up ## side-by-side benchmarks against kubectl on the local cluster
	hack/bench.sh

clean:
	rm -rf bin dist

-include mk/*.mk
