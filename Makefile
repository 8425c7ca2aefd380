# Tools are pinned and installed into ./bin on first use; the control plane
# (kube-apiserver, etcd) is built from Go modules by hack/control-plane.sh.
SHELL := /usr/bin/env bash -o pipefail
.SHELLFLAGS := -ec

BIN ?= $(CURDIR)/bin
CONTROLLER_TOOLS_VERSION ?= v0.23.0
GOLANGCI_LINT_VERSION ?= v2.15.0
CONTROLLER_GEN ?= $(BIN)/tools/controller-gen-$(CONTROLLER_TOOLS_VERSION)/controller-gen
GOLANGCI_LINT ?= $(BIN)/tools/golangci-lint-$(GOLANGCI_LINT_VERSION)/golangci-lint
GO_TEST_FLAGS ?= -race -count=1

.PHONY: all
all: build

##@ Development

.PHONY: generate
generate: $(CONTROLLER_GEN) ## Generate DeepCopy methods.
	$(CONTROLLER_GEN) object:headerFile="hack/boilerplate.go.txt" paths="./api/..."

.PHONY: manifests
manifests: $(CONTROLLER_GEN) ## Generate the CRD and RBAC manifests.
	$(CONTROLLER_GEN) rbac:roleName=manager-role crd:allowDangerousTypes=false webhook \
		paths="./..." output:crd:artifacts:config=config/crd/bases

.PHONY: fmt
fmt: ## gofmt the tree.
	go fmt ./...

.PHONY: vet
vet: ## go vet the tree.
	go vet ./...

.PHONY: lint
lint: $(GOLANGCI_LINT) ## Run golangci-lint.
	$(GOLANGCI_LINT) run ./...

.PHONY: control-plane
control-plane: ## Build kube-apiserver and etcd from Go modules (cached in ./bin/k8s).
	hack/control-plane.sh >/dev/null

.PHONY: test
test: manifests generate fmt vet control-plane ## Run every test, envtest suites included.
	KUBEBUILDER_ASSETS="$$(hack/control-plane.sh)" go test $(GO_TEST_FLAGS) ./...

.PHONY: verify
verify: manifests generate fmt ## Regenerate everything and fail if the tree changed.
	go mod tidy
	@if [ -n "$$(git status --porcelain)" ]; then \
		echo "verify: the tree is not clean after regeneration:"; git status --porcelain; git diff; exit 1; fi

##@ Build

.PHONY: build
build: manifests generate fmt vet ## Build the manager binary.
	go build -o $(BIN)/manager .

.PHONY: run
run: manifests generate fmt vet ## Run the manager against the current kubeconfig.
	go run . $(ARGS)

##@ Demo

.PHONY: demo
demo: manifests ## Run the manager against a local control plane and localaws with config/samples (DEMO_ONCE=1: check and exit).
	@assets="$$(hack/control-plane.sh)" && \
	go build -o $(BIN)/manager . && \
	go build -o $(BIN)/demo ./hack/demo && \
	KUBEBUILDER_ASSETS="$$assets" DEMO_ONCE="$(DEMO_ONCE)" $(BIN)/demo --manager $(BIN)/manager

##@ Benchmark

BENCH_N ?= 1000
BENCH_LATENCY ?= 20ms

.PHONY: bench
bench: manifests ## Fleet benchmark: the manager with BENCH_N tenants, BENCH_LATENCY per AWS call (results in _output/bench).
	@assets="$$(hack/control-plane.sh)" && \
	go build -o $(BIN)/manager . && \
	go build -o $(BIN)/bench ./hack/bench && \
	KUBEBUILDER_ASSETS="$$assets" BENCH_N="$(BENCH_N)" BENCH_LATENCY="$(BENCH_LATENCY)" \
		BENCH_STEADY="$(BENCH_STEADY)" BENCH_MANAGER_ARGS="$(BENCH_MANAGER_ARGS)" \
		$(BIN)/bench --manager $(BIN)/manager $(BENCH_FLAGS)

$(CONTROLLER_GEN):
	GOBIN=$(dir $@) go install sigs.k8s.io/controller-tools/cmd/controller-gen@$(CONTROLLER_TOOLS_VERSION)

$(GOLANGCI_LINT):
	GOBIN=$(dir $@) go install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION)

.PHONY: help
help: ## Show this help.
	@awk 'BEGIN {FS = ":.*##"} /^[a-zA-Z_-]+:.*?##/ { printf "  %-14s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)
