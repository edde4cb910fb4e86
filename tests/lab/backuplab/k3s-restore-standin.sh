#!/bin/sh
# STAND-IN for the k3s binary (tests/lab/backuplab), installed as
# /usr/local/bin/k3s on the lab's servers: real k3s cannot be obtained
# here. It emulates, for the restore script only:
#   k3s server --cluster-reset --cluster-reset-restore-path=PATH
#       refuses while k3s.service runs (real k3s cannot bind etcd's ports
#       then), needs PATH to be a readable file, records PATH and its
#       sha256 and replaces the etcd data dir with a marker naming them,
#       then exits like k3s after a reset
#   k3s server          (the lab's k3s.service) creates an empty etcd data
#       dir when there is none (a joining server) and stays running
#   k3s kubectl get --raw /readyz[/etcd]
#       "ok" while k3s.service is active
# Everything else fails loudly. Every call is logged to /var/log/k3s-standin.log.
set -eu
db=/var/lib/rancher/k3s/server/db
log() { echo "$(date -u +%s.%N) $*" >>/var/log/k3s-standin.log; }
case "$*" in
"server --cluster-reset --cluster-reset-restore-path="*)
	path="${3#--cluster-reset-restore-path=}"
	if systemctl is-active --quiet k3s.service; then
		log "reset refused: k3s running"
		echo "k3s stand-in: etcd is running" >&2
		exit 1
	fi
	[ -f "$path" ] && [ -r "$path" ] || { echo "k3s stand-in: no snapshot $path" >&2; exit 1; }
	sum="$(sha256sum "$path" | cut -d' ' -f1)"
	rm -rf "$db"
	mkdir -p "$db/etcd"
	echo "restored-from $path $sum" >"$db/etcd/marker"
	log "reset $path $sum"
	;;
server)
	[ -d "$db/etcd" ] || { mkdir -p "$db/etcd"; echo "joined" >"$db/etcd/marker"; }
	log "start $(cat "$db/etcd/marker")"
	exec sleep infinity
	;;
"kubectl get --raw /readyz" | "kubectl get --raw /readyz/etcd")
	systemctl is-active --quiet k3s.service && echo ok
	;;
*)
	echo "k3s stand-in (tests/lab/backuplab): '$*' is not emulated" >&2
	exit 64
	;;
esac
