#!/usr/bin/env bash
# Builds the pinned kube-vip (components/vip KubeVIPVersion) from the Go
# module proxy and caches it:
#
#   ${XDG_CACHE_HOME:-$HOME/.cache}/k3s-onprem/kube-vip-$KUBE_VIP_VERSION/kube-vip
#
# The kube-vip image cannot be pulled here; its binary is the same Go
# program (the image's entrypoint), built static with CGO off. The proxy
# serves single versions of github.com/kube-vip/kube-vip but no version
# list, so `go install ...@version` fails on its deprecation lookup: the
# module is required from a scratch module instead. tests/lab/kubevip_test.go
# looks in the same place. A cold build took 45 minutes on 2 cores at load
# average 21 (other builds); with a warm Go build cache 33 s.
#
# Env: KUBE_VIP_VERSION (default v1.2.2), XDG_CACHE_HOME, NICE (default 10).
set -euo pipefail

KUBE_VIP_VERSION=${KUBE_VIP_VERSION:-v1.2.2}
NICE=${NICE:-10}
OUT=${XDG_CACHE_HOME:-$HOME/.cache}/k3s-onprem/kube-vip-$KUBE_VIP_VERSION
log() { printf '[kubevip/build] %s\n' "$*" >&2; }

mkdir -p "$OUT"
exec 9>"$OUT/.lock"
flock 9
if [ -x "$OUT/kube-vip" ] && "$OUT/kube-vip" version >/dev/null 2>&1; then
	log "cached: $OUT/kube-vip"
	exit 0
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
cat >go.mod <<MOD
module kubevipbuild

go 1.26.4

require github.com/kube-vip/kube-vip $KUBE_VIP_VERSION
MOD
cat >tools.go <<'SRC'
//go:build tools

package tools

import _ "github.com/kube-vip/kube-vip"
SRC
log "resolving github.com/kube-vip/kube-vip $KUBE_VIP_VERSION"
GOFLAGS=-mod=mod nice -n "$NICE" go mod tidy
log "building (CGO off, static)"
CGO_ENABLED=0 nice -n "$NICE" go build -trimpath -o "$OUT/kube-vip.tmp" github.com/kube-vip/kube-vip
mv -f "$OUT/kube-vip.tmp" "$OUT/kube-vip"
log "built $OUT/kube-vip"
