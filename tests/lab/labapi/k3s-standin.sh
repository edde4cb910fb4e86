#!/bin/sh
# STAND-IN for the k3s binary, installed by the lab harness (tests/lab/labapi):
# k3s cannot be obtained here. It emulates two things only:
#   k3s kubectl ARGS  k3s embeds upstream kubectl; this runs the real kubectl
#                     built from k8s.io/kubernetes (tests/realapi/build.sh)
#   k3s --version     the first line k3s prints (k3s version vX.Y.Z+k3sN (commit))
# Anything else fails loudly, so a step that needs real k3s cannot pass.
set -eu
case "${1:-}" in
kubectl)
	shift
	exec /usr/local/lib/k3s-onprem-lab/kubectl "$@"
	;;
--version | -v)
	echo "k3s version @K3S_VERSION@ (lab-stand-in)"
	;;
*)
	echo "k3s stand-in (tests/lab/labapi): '$*' is not emulated" >&2
	exit 64
	;;
esac
