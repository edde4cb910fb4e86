# k3s-onprem: `make render STACK=dev` (offline, no Pulumi CLI) and `make test`.
STACK ?= dev
GO ?= go
# A local file backend by default: no Pulumi Cloud account needed.
PULUMI_BACKEND_URL ?= file://$(HOME)/.pulumi-k3s-onprem
export PULUMI_BACKEND_URL
STATICCHECK ?= $(shell command -v staticcheck 2>/dev/null || echo $(shell $(GO) env GOPATH)/bin/staticcheck)
ACTIONLINT ?= $(shell command -v actionlint 2>/dev/null || echo $(shell $(GO) env GOPATH)/bin/actionlint)
ACTIONLINT_VERSION = v1.7.12
UNIT_PKGS = $(shell $(GO) list ./... | grep -v '/tests/')

.PHONY: all test test-psp test-realapi-newest unit fuzz engine real lint render policy preview up bench tools real-prereqs check-pulumi clean versions cis-report

all: lint test

## test: every tier (unit, golden, graph, policy, real API server, lab hosts,
## the real Pulumi engine); the real API server tier runs on the default
## Kubernetes version and again on REALAPI_NEWEST_KUBE. Every tier is
## verbose, so the CI log names each test that ran (about 1,400 lines for
## the unit tiers).
test: lint real-prereqs
	$(GO) test -count=1 -v $(UNIT_PKGS)
	$(MAKE) fuzz
	$(GO) test -count=1 -v -timeout 75m -tags engine ./tests/...
	$(MAKE) test-realapi-newest

## test-realapi-newest: the real API server tier on the newest Kubernetes
## minor the program supports (k3s 1.36 runs Kubernetes 1.36; the proxy
## serves v1.36.3). The responder's tests are version-independent and run
## once, on the default version, in `./tests/...`.
REALAPI_NEWEST_KUBE = v1.36.3
# kubectl too: TestDrainSteps_EvictionRespectsPDB drains through the
# kubectl of the API server's version (kubectl supports one minor of skew).
REALAPI_NEWEST_BINARIES = kube-apiserver kube-controller-manager kubectl
test-realapi-newest:
	KUBE_VERSION=$(REALAPI_NEWEST_KUBE) $(GO) test -count=1 -v -timeout 20m -tags engine -skip '^(TestResponder|BenchmarkResponder)' ./tests/realapi/

## unit: tiers 1-3 only (no root needed).
unit:
	$(GO) test -count=1 $(UNIT_PKGS)

## fuzz: each host-file renderer's fuzzer for FUZZTIME (seeds in testdata/fuzz).
FUZZTIME ?= 5s
FUZZERS = ./components/host:FuzzRenderZones ./components/vip:FuzzRenderKeepalivedConf
fuzz:
	@for f in $(FUZZERS); do \
		$(GO) test -run '^$$' -fuzz "^$${f#*:}$$" -fuzztime $(FUZZTIME) -parallel 2 "$${f%%:*}" || exit 1; \
	done

## engine: tier 6 (real Pulumi CLI + test plugins on lab hosts; root only).
engine:
	bash tests/lab/rootfs.sh && bash tests/engine/build.sh
	$(GO) test -tags engine -count=1 -v -timeout 40m ./tests/engine/

## real: tiers 4-7 only.
real: real-prereqs
	$(GO) test -count=1 -v -timeout 75m -tags engine ./tests/...
	$(MAKE) test-realapi-newest

## test-psp: the k3s <= 1.24 rendering (PodSecurityPolicy admission and the
## program's policies) on a real kube-apiserver v1.24 (root). Its cold build
## (926 s measured) does not fit CI's cold budget beside the other tiers.
PSP_KUBE_VERSION = v1.24.17
test-psp:
	KUBE_VERSION=$(PSP_KUBE_VERSION) bash tests/realapi/build.sh
	KUBE_VERSION=$(PSP_KUBE_VERSION) $(GO) test -count=1 -v -run '^TestK3sRenderedServer' ./tests/realapi/

## real-prereqs: build the cached kube-apiserver/etcd, the lab rootfs and the
## engine tier's Pulumi CLI and test plugins (root only).
real-prereqs:
	@if [ "$$(id -u)" = 0 ]; then \
		bash tests/lab/rootfs.sh && bash tests/realapi/build.sh && bash tests/engine/build.sh && \
		KUBE_VERSION=$(REALAPI_NEWEST_KUBE) KUBE_BINARIES="$(REALAPI_NEWEST_BINARIES)" bash tests/realapi/build.sh; \
	else \
		echo "real-prereqs: not root; the real API server and lab tiers will skip"; \
	fi

lint: tools
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) vet -tags engine ./tests/engine/...
	$(STATICCHECK) ./...
	$(STATICCHECK) -tags engine ./tests/engine/...
	$(ACTIONLINT) .github/workflows/*.yml

tools:
	@test -x "$(STATICCHECK)" || GOFLAGS= $(GO) install honnef.co/go/tools/cmd/staticcheck@v0.8.2
	@test -x "$(ACTIONLINT)" || GOFLAGS= $(GO) install github.com/rhysd/actionlint/cmd/actionlint@$(ACTIONLINT_VERSION)

## render: write every host file, the Kubernetes objects and the resource
## graph of STACK to out/STACK, then evaluate the policy pack over them
## (offline; fails on a mandatory violation).
render:
	$(GO) run ./cmd/render -stack $(STACK)
	$(GO) run ./cmd/policycheck -stack $(STACK)

## versions: every pinned upstream version beside the newest the program
## knows (fact tables, version tables); fails when a pin and its fact
## tables or goldens disagree (the same check as ./cmd/versions's test).
versions:
	$(GO) run ./cmd/versions

## bench: mocked Deploy for 3 servers + 3/30/300 agents.
bench:
	$(GO) test ./stacks -run '^$$' -bench BenchmarkDeploy -benchmem -benchtime 3x

## policy: build the CrossGuard pack binary (with its PulumiPolicy.yaml beside it).
policy:
	$(GO) build -o bin/k3s-cis ./policy
	cp policy/PulumiPolicy.yaml bin/PulumiPolicy.yaml

# Per-stack policy config (enforcement levels); prod cannot disable policies.
POLICY_CONFIG = $(wildcard policy/config/$(STACK).json)
POLICY_FLAGS = --policy-pack bin/k3s-cis $(if $(POLICY_CONFIG),--policy-pack-config $(POLICY_CONFIG))

check-pulumi:
	@command -v pulumi >/dev/null 2>&1 || { \
		echo "The Pulumi CLI (>= 3.255, for --policy-pack binaries) is needed for preview/up."; \
		echo "Install it from your distribution's package or the Pulumi installer, then run"; \
		echo "  pulumi login $(PULUMI_BACKEND_URL)   # local file backend, no account"; \
		exit 1; }

## preview: pulumi preview of STACK with the policy pack gating it.
preview: check-pulumi policy
	pulumi preview --stack $(STACK) --diff $(POLICY_FLAGS)

## up: pulumi up of STACK with the policy pack gating it.
up: check-pulumi policy
	pulumi up --stack $(STACK) $(POLICY_FLAGS)

## cis-report: write out/STACK/cis-report.{json,tsv} from the stack output
## `cis` (each node's kube-bench summary after `make up` with
## cis.kubeBench.enabled); fails when a check expected to pass did not.
cis-report: check-pulumi
	pulumi stack output --stack $(STACK) --json cis | $(GO) run ./cmd/cisreport -stack $(STACK)

clean:
	rm -rf out bin
