# Clusterwright. `make run` starts the whole service on this machine; `make test` runs every test.

GO        ?= go
BIN       := bin
GOFLAGS   ?=
TEST_FLAGS ?= -count=1 -timeout 20m

.PHONY: run build test bench lint vet fmt clean

## run: build and start `clusterwright dev` (embedded Temporal, private Postgres, simulated
## datacenter whose nodes run the control-plane binaries of `make kubebin`). The default
## Kubernetes version is built first; the other supported versions are built in the
## background (niced) while dev runs, their progress lines in this terminal; a version is
## usable once its "built Kubernetes ..." line appeared. The background build stops with
## dev and resumes at the next `make run`
run: build kubebin-default
	@others="$(filter-out $(KUBE_DEFAULT_VERSION),$(KUBE_VERSIONS))"; \
	if [ -n "$$others" ]; then \
		echo "kubebin: building Kubernetes $$others in the background"; \
		GO=$(GO) setsid sh -c 'for v; do nice -n 10 sim/kubebin/build.sh $$v || exit 1; done' kubebin $$others & \
		trap "kill -TERM -$$! 2>/dev/null" EXIT INT TERM; \
	fi; \
	$(BIN)/clusterwright dev

## build: build the server binary and cwctl into bin/
build:
	$(GO) build $(GOFLAGS) -o $(BIN)/clusterwright ./cmd/clusterwright
	$(GO) build $(GOFLAGS) -o $(BIN)/cwctl ./cmd/cwctl

## test: every test, against real Postgres, the in-process Temporal server, vcsim and real
## Kubernetes control planes (of KUBE_TEST_VERSIONS, built once by `make kubebin-test`);
## then a short real fuzzing run of each of FUZZ_TARGETS (every fuzz target's seeds run
## with the tests)
test: vet kubebin-test
	$(GO) test $(GOFLAGS) $(TEST_FLAGS) ./...
	@for t in $(FUZZ_TARGETS); do \
		echo "fuzz $$t for $(FUZZ_TIME)"; \
		$(GO) test $(GOFLAGS) -count=1 -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZ_TIME) -parallel 1 ./api/ || exit 1; \
	done

# The fuzz targets `make test` runs for FUZZ_TIME each (go test fuzzes one per command).
FUZZ_TARGETS ?= FuzzBodyTextError FuzzClusterSpec FuzzPathParams
FUZZ_TIME ?= 10s

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

# Kubernetes versions whose control-plane binaries `make kubebin` builds, each from its own
# k8s.io/kubernetes release (sim/kubebin/v1.MINOR): the supported versions of
# domain/versions.go, its default, and the versions the tests start (the default and the
# version below it, where upgrade tests begin). domain's TestVersionsMatchSimulatorBuild
# keeps these lists and domain's the same.
KUBE_VERSIONS ?= v1.35.8 v1.36.5 v1.37.2
KUBE_DEFAULT_VERSION ?= v1.37.2
KUBE_TEST_VERSIONS ?= v1.36.5 v1.37.2

.PHONY: kubebin kubebin-default kubebin-test

## kubebin: build etcd, kube-apiserver, kube-controller-manager and kube-scheduler (and the etcd
## tools etcdctl and etcdutl that the simulated nodes' SSH commands run) for each of
## KUBE_VERSIONS into $CLUSTERWRIGHT_KUBEBIN_DIR (default ~/.cache/clusterwright/kubebin); cached
## (13–20 minutes per version on 2 shared cores when cold, a no-op afterwards)
kubebin:
	@for v in $(KUBE_VERSIONS); do GO=$(GO) sim/kubebin/build.sh $$v || exit 1; done

## kubebin-default: only the default version (what `make run` needs first)
kubebin-default:
	@GO=$(GO) sim/kubebin/build.sh $(KUBE_DEFAULT_VERSION)

## kubebin-test: only the versions the tests start
kubebin-test:
	@for v in $(KUBE_TEST_VERSIONS); do GO=$(GO) sim/kubebin/build.sh $$v || exit 1; done
