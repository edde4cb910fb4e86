#!/usr/bin/env bash
# Builds the binaries of the engine test tier and caches them by version:
#
#   $CACHE/$PULUMI_VERSION/pulumi                   the real Pulumi CLI
#   $CACHE/$PULUMI_VERSION/pulumi-resource-{command,random,tls,kubernetes}
#                                                   the test provider plugins
#                                                   (tests/engine/plugins, see
#                                                   tests/engine/README.md)
#
# where CACHE = ${XDG_CACHE_HOME:-$HOME/.cache}/k3s-onprem/pulumi. The engine
# tests (tests/engine) look in the same place, so keep both in step.
#
# The CLI is compiled from the Go module proxy (pkg/v3/cmd/pulumi): no release
# tarball is reachable here. `go install pkg@version` refuses a module with
# replace directives, so a scratch module requires pkg/v3 and sdk/v3 and
# re-states pkg/go.mod's replace directives. A warm run only checks that the
# binaries exist and report the right version; the plugins are rebuilt when
# their sources are newer than the cached binary (a fast, cached go build).
#
# Env: PULUMI_VERSION (default v3.276.0, the version of our sdk/v3),
#      XDG_CACHE_HOME, NICE (default 10; niceness of the compile steps).
set -euo pipefail

PULUMI_VERSION=${PULUMI_VERSION:-v3.276.0}
NICE=${NICE:-10}
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/k3s-onprem/pulumi
DIR=$CACHE/$PULUMI_VERSION
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

log() { printf '[engine/build] %s\n' "$*" >&2; }

case $PULUMI_VERSION in
v3.*) ;;
*) log "PULUMI_VERSION must look like v3.MINOR.PATCH, got $PULUMI_VERSION"; exit 2 ;;
esac

mkdir -p "$DIR"
# Serialise concurrent runs: the second waits and then finds the CLI built.
if command -v flock >/dev/null 2>&1; then
	exec 9>"$CACHE/.build.lock"
	flock 9
fi

SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/engine-build.XXXXXX")
trap 'rm -rf "$SCRATCH"' EXIT

build_cli() {
	# `pulumi version` prints the -X stamped version; checking it (not just
	# existence) catches a mis-stamped binary.
	if [[ -x $DIR/pulumi ]] && [[ $("$DIR/pulumi" version 2>/dev/null) == "$PULUMI_VERSION" ]]; then
		log "reusing $DIR/pulumi ($PULUMI_VERSION)"
		return
	fi
	log "building pulumi $PULUMI_VERSION (cold: see tests/engine/README.md)"
	local start=$SECONDS mod=$SCRATCH/cli
	mkdir -p "$mod"
	cd "$mod"
	local gomod
	gomod=$(go mod download -json "github.com/pulumi/pulumi/pkg/v3@$PULUMI_VERSION" |
		sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p')
	[[ -f $gomod ]] || { log "could not download github.com/pulumi/pulumi/pkg/v3@$PULUMI_VERSION"; exit 1; }
	local godirective
	godirective=$(awk '$1 == "go" { print $2; exit }' "$gomod")
	{
		echo "module engine.build/pulumi"
		echo
		echo "go $godirective"
		echo
		echo "require ("
		echo "	github.com/pulumi/pulumi/pkg/v3 $PULUMI_VERSION"
		echo "	github.com/pulumi/pulumi/sdk/v3 $PULUMI_VERSION"
		echo ")"
		echo
		# pkg/go.mod's replace directives to published modules (the
		# ../sdk one is covered by the require above); they do not apply
		# when pkg is a dependency, so they are re-stated here.
		awk '
			$1 == "replace" && $2 == "(" { block = 1; next }
			block && $1 == ")" { block = 0; next }
			block && $0 ~ /=>/ && $NF !~ /^\./ && $(NF) != "../sdk" { print "replace " $0 }
			$1 == "replace" && $2 != "(" && $NF !~ /^\./ { print }
		' "$gomod" | grep -v '=> \.\.' || true
	} >go.mod
	log "go.mod replaces: $(grep -c '^replace' go.mod || true)"
	{
		echo "//go:build tools"
		echo
		echo "package tools"
		echo
		echo "import _ \"github.com/pulumi/pulumi/pkg/v3/cmd/pulumi\""
	} >tools.go
	go mod tidy -e >/dev/null 2>"$SCRATCH/tidy.err" || { cat "$SCRATCH/tidy.err" >&2; exit 1; }
	CGO_ENABLED=0 nice -n "$NICE" go build -trimpath \
		-ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION" \
		-o "$SCRATCH/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
	# Rename is atomic, so a reader never sees a partial binary.
	cp "$SCRATCH/pulumi" "$DIR/.pulumi.new"
	mv -f "$DIR/.pulumi.new" "$DIR/pulumi"
	[[ $("$DIR/pulumi" version) == "$PULUMI_VERSION" ]] || { log "pulumi does not report $PULUMI_VERSION"; exit 1; }
	log "built pulumi $PULUMI_VERSION in $((SECONDS - start)) s into $DIR"
}

build_plugins() {
	local p src bin
	for p in command random tls kubernetes; do
		src=$REPO/tests/engine/plugins/$p
		[[ -d $src ]] || continue
		bin=$DIR/pulumi-resource-$p
		if [[ -x $bin ]] && [[ -z $(find "$src" "$REPO/tests/engine/plugins/internal" -newer "$bin" -name '*.go' 2>/dev/null) ]]; then
			log "reusing $bin"
			continue
		fi
		(cd "$REPO" && CGO_ENABLED=0 nice -n "$NICE" go build -trimpath -o "$DIR/.pulumi-resource-$p.new" "./tests/engine/plugins/$p")
		mv -f "$DIR/.pulumi-resource-$p.new" "$bin"
		log "built $bin"
	done
}

build_cli
build_plugins
log "done"
