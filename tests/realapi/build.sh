#!/usr/bin/env bash
# Builds the binaries of the real-API-server test tier (design.md §4, tier 4)
# from the Go module proxy and caches them by version:
#
#   $CACHE/kube-$KUBE_VERSION/{kube-apiserver,kube-controller-manager,kubectl}
#   $CACHE/etcd-$ETCD_VERSION/etcd
#
# where CACHE = ${XDG_CACHE_HOME:-$HOME/.cache}/k3s-onprem/realapi. The Go
# helper tests/realapi/apiserver looks in the same place, so keep both in step.
#
# There is no prebuilt-binary download here on purpose: the only reachable
# sources are package registries, and upstream Kubernetes is a Go module, so we
# compile it. A cold build takes 15-25 minutes on 2 cores; a warm run only
# checks that the binaries are there and print the right version.
#
# Env: KUBE_VERSION (default v1.34.4), ETCD_VERSION (default v3.6.16),
#      KUBE_BINARIES (default "kube-apiserver kube-controller-manager kubectl";
#      a second API server version for the tier needs no kubectl, which only
#      the lab's k3s stand-in runs), XDG_CACHE_HOME, NICE (default 10;
#      niceness of the compile steps).
set -euo pipefail

KUBE_VERSION=${KUBE_VERSION:-v1.34.4}
ETCD_VERSION=${ETCD_VERSION:-v3.6.16}
NICE=${NICE:-10}
read -r -a KUBE_BINARIES <<<"${KUBE_BINARIES:-kube-apiserver kube-controller-manager kubectl}"
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/k3s-onprem/realapi
KUBE_DIR=$CACHE/kube-$KUBE_VERSION
ETCD_DIR=$CACHE/etcd-$ETCD_VERSION

log() { printf '[realapi/build] %s\n' "$*" >&2; }

case $KUBE_VERSION in
v1.*) ;;
*) log "KUBE_VERSION must look like v1.MINOR.PATCH, got $KUBE_VERSION"; exit 2 ;;
esac
# Staging repos (k8s.io/api, apiserver, ...) are tagged v0.MINOR.PATCH for
# kubernetes v1.MINOR.PATCH.
for b in "${KUBE_BINARIES[@]}"; do
	case $b in
	kube-apiserver | kube-controller-manager | kubectl) ;;
	*) log "KUBE_BINARIES: unknown binary $b (kube-apiserver, kube-controller-manager, kubectl)"; exit 2 ;;
	esac
done
STAGING_VERSION=v0.${KUBE_VERSION#v1.}
KUBE_MINOR=${KUBE_VERSION#v1.}
KUBE_MINOR=${KUBE_MINOR%%.*}

mkdir -p "$CACHE"
# Serialise concurrent runs (a developer and a test run, two CI steps): the
# second waits and then finds the binaries built instead of building twice.
if command -v flock >/dev/null 2>&1; then
	exec 9>"$CACHE/.build.lock"
	flock 9
fi

SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/realapi-build.XXXXXX")
trap 'rm -rf "$SCRATCH"' EXIT

# have_version BIN WANT: true when BIN exists and its --version mentions WANT.
# Checking the version (not just existence) catches a half-written or
# mis-stamped binary from an interrupted earlier run.
have_version() {
	# grep without -q reads all of the output: with -q it exits at the first
	# match, the binary gets SIGPIPE and pipefail fails the check.
	local flag=(--version)
	[[ ${1##*/} == kubectl ]] && flag=(version --client)
	[[ -x $1 ]] && "$1" "${flag[@]}" 2>/dev/null | grep -F -- "$2" >/dev/null
}

build_kube() {
	# kubectl is what k3s embeds as `k3s kubectl`; the lab's k3s stand-in
	# (tests/lab/labapi) runs it.
	local want=("${KUBE_BINARIES[@]}") missing=() c
	for c in "${want[@]}"; do
		have_version "$KUBE_DIR/$c" "$KUBE_VERSION" || missing+=("$c")
	done
	if ((${#missing[@]} == 0)); then
		log "reusing $KUBE_DIR/{$(IFS=,; echo "${want[*]}")} ($KUBE_VERSION)"
		return
	fi
	log "building ${missing[*]} $KUBE_VERSION (cold: 15-25 min)"
	local start=$SECONDS mod=$SCRATCH/kube
	mkdir -p "$mod"
	cd "$mod"

	# k8s.io/kubernetes requires its staging modules at v0.0.0 and points
	# them at ./staging with replace directives, which do not apply when it
	# is a dependency. So we re-state each as a replace to its published
	# tag. The list comes from kubernetes' own go.mod so a version bump
	# needs no edit here. sample-* modules are only in its replace block
	# and are not published at every tag, so they are skipped.
	local gomod
	gomod=$(go mod download -json "k8s.io/kubernetes@$KUBE_VERSION" |
		sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p')
	[[ -f $gomod ]] || { log "could not download k8s.io/kubernetes@$KUBE_VERSION"; exit 1; }
	local godirective staging
	godirective=$(awk '$1 == "go" { print $2; exit }' "$gomod")
	staging=$(awk '$1 ~ /^k8s\.io\// && $2 == "v0.0.0" { print $1 }' "$gomod" |
		grep -v -e '^k8s.io/sample-cli-plugin$' -e '^k8s.io/sample-controller$' | sort -u)
	[[ -n $staging ]] || { log "no staging modules found in $gomod"; exit 1; }

	{
		echo "module realapi.build/kube"
		echo
		echo "go $godirective"
		echo
		echo "require k8s.io/kubernetes $KUBE_VERSION"
		echo
		echo "replace ("
		local m
		for m in $staging; do echo "	$m => $m $STAGING_VERSION"; done
		echo ")"
	} >go.mod
	log "go.mod: $(wc -l <<<"$staging") staging replaces at $STAGING_VERSION"
	{
		echo "//go:build tools"
		echo
		echo "package tools"
		echo
		echo "import ("
		for c in "${missing[@]}"; do echo "	_ \"k8s.io/kubernetes/cmd/$c\""; done
		echo ")"
	} >tools.go
	go mod tidy -e >/dev/null 2>"$SCRATCH/tidy.err" || { cat "$SCRATCH/tidy.err" >&2; exit 1; }

	# Without -X the binaries report v0.0.0-master, and clients (and our
	# tests) that check the server version would see the wrong thing.
	local ld="-s -w" p
	for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
		ld+=" -X $p.gitVersion=$KUBE_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$KUBE_MINOR -X $p.gitTreeState=clean"
	done
	mkdir -p "$SCRATCH/out"
	local pkgs=()
	for c in "${missing[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$c"); done
	CGO_ENABLED=0 nice -n "$NICE" go build -trimpath -ldflags "$ld" -o "$SCRATCH/out/" "${pkgs[@]}"

	mkdir -p "$KUBE_DIR"
	for c in "${missing[@]}"; do
		# Rename is atomic, so a reader never sees a partial binary.
		cp "$SCRATCH/out/$c" "$KUBE_DIR/.$c.new"
		mv -f "$KUBE_DIR/.$c.new" "$KUBE_DIR/$c"
		have_version "$KUBE_DIR/$c" "$KUBE_VERSION" || { log "$c does not report $KUBE_VERSION"; exit 1; }
	done
	log "built ${missing[*]} $KUBE_VERSION in $((SECONDS - start)) s into $KUBE_DIR"
}

build_etcd() {
	if have_version "$ETCD_DIR/etcd" "${ETCD_VERSION#v}"; then
		log "reusing $ETCD_DIR/etcd ($ETCD_VERSION)"
		return
	fi
	log "building etcd $ETCD_VERSION (cold: about 3 min)"
	local start=$SECONDS mod=$SCRATCH/etcd-mod
	mkdir -p "$mod"
	cd "$mod"
	go mod init realapi.build/etcd >/dev/null 2>&1
	# The server module's root package is etcd's main. Its replace
	# directives (../api etc.) are ignored as a dependency, which is what we
	# want: go resolves the published sibling modules of the same release.
	go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION" >/dev/null 2>"$SCRATCH/get.err" || { cat "$SCRATCH/get.err" >&2; exit 1; }
	CGO_ENABLED=0 nice -n "$NICE" go build -trimpath -ldflags "-s -w" -o "$SCRATCH/etcd-out/etcd" go.etcd.io/etcd/server/v3
	mkdir -p "$ETCD_DIR"
	cp "$SCRATCH/etcd-out/etcd" "$ETCD_DIR/.etcd.new"
	mv -f "$ETCD_DIR/.etcd.new" "$ETCD_DIR/etcd"
	have_version "$ETCD_DIR/etcd" "${ETCD_VERSION#v}" || { log "etcd does not report $ETCD_VERSION"; exit 1; }
	log "built etcd $ETCD_VERSION in $((SECONDS - start)) s into $ETCD_DIR"
}

# etcd first: it is quick, and a half-done run then leaves something usable.
build_etcd
build_kube
log "done"
