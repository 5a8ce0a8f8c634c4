# Clusterwright. `make run` starts the whole service on this machine; `make test` runs every test.

GO        ?= go
BIN       := bin
GOFLAGS   ?=
TEST_FLAGS ?= -count=1 -timeout 20m

.PHONY: run build test bench lint vet fmt clean

## run: build and start `clusterwright dev` (embedded Temporal, private Postgres, simulated
## datacenter whose nodes run the control-plane binaries of `make kubebin`)
run: build kubebin
	$(BIN)/clusterwright dev

## build: build the server binary and cwctl into bin/
build:
	$(GO) build $(GOFLAGS) -o $(BIN)/clusterwright ./cmd/clusterwright
	$(GO) build $(GOFLAGS) -o $(BIN)/cwctl ./cmd/cwctl

## test: every test, against real Postgres, the in-process Temporal server, vcsim and real
## Kubernetes control planes (built once by `make kubebin`)
test: vet kubebin
	$(GO) test $(GOFLAGS) $(TEST_FLAGS) ./...

## bench: the benchmarks, each next to its baseline measured in the same run
bench:
	$(GO) test $(GOFLAGS) -run '^$$' -bench . -benchtime 3s -timeout 30m ./...

## lint: gofmt and go vet
lint: vet
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf $(BIN)

# Kubernetes versions whose control-plane binaries `make kubebin` builds: the supported
# versions of domain/versions.go (a test keeps the two lists equal).
KUBE_VERSIONS ?= v1.34.2 v1.35.1

.PHONY: kubebin

## kubebin: build etcd, kube-apiserver, kube-controller-manager and kube-scheduler (and the etcd
## tools etcdctl and etcdutl that the simulated nodes' SSH commands run) for each of
## KUBE_VERSIONS into $CLUSTERWRIGHT_KUBEBIN_DIR (default ~/.cache/clusterwright/kubebin); cached
kubebin:
	@for v in $(KUBE_VERSIONS); do GO=$(GO) sim/kubebin/build.sh $$v || exit 1; done
