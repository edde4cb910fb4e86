#!/usr/bin/env bash
# Removes what crashed lab runs (tests/lab/labhost) left behind: container
# processes, overlay mounts, network namespaces, veths and bridges, cgroups
# and state directories. Everything a run creates carries its prefix
# (k3l + 4 hex digits), so nothing else is touched.
#
#   bash tests/lab/cleanup.sh              # every run whose test process is gone
#   bash tests/lab/cleanup.sh k3l1a2b ...  # these runs, even if still alive
#
# Processes are killed by the pids the run recorded and by the membership of
# its own cgroups, never by name.
set -euo pipefail

STATE_ROOT=/var/tmp/k3s-onprem-lab
CG_ROOTS=()
for r in /sys/fs/cgroup/systemd /sys/fs/cgroup/unified; do
	[ -e "$r/cgroup.procs" ] && CG_ROOTS+=("$r")
done
[ "${#CG_ROOTS[@]}" -gt 0 ] || { [ -e /sys/fs/cgroup/cgroup.controllers ] && CG_ROOTS+=(/sys/fs/cgroup); }

log() { echo "cleanup.sh: $*" >&2; }
valid() { [[ "$1" =~ ^k3l[0-9a-f]{4}$ ]]; }

if [ "$(id -u)" != 0 ]; then
	log "must run as root"
	exit 1
fi

# Every prefix that has something on this machine.
candidates() {
	{
		[ -d "$STATE_ROOT" ] && ls -1 "$STATE_ROOT"
		ip netns list 2>/dev/null | awk '{print $1}'
		ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | cut -d@ -f1
		for r in "${CG_ROOTS[@]}"; do [ -d "$r/k3s-onprem-lab" ] && ls -1 "$r/k3s-onprem-lab"; done
	} | cut -c1-7 | sort -u | while read -r p; do valid "$p" && echo "$p"; done
	return 0
}

# A run is alive while the test process that recorded owner.pid runs.
alive() {
	local f="$STATE_ROOT/$1/owner.pid" pid
	[ -f "$f" ] || return 1
	pid="$(cat "$f")"
	[ -n "$pid" ] && [ -d "/proc/$pid" ]
}

cgroups_of() {
	local r
	for r in "${CG_ROOTS[@]}"; do
		compgen -G "$r/k3s-onprem-lab/$1-*" || true
	done
}

kill_run() {
	local p="$1" f pid cg d
	for f in "$STATE_ROOT/$p"/*/nspawn.pid; do
		[ -f "$f" ] || continue
		pid="$(cat "$f")"
		# Only if that pid is still this run's nspawn (pids get reused).
		if [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF "$STATE_ROOT/$p/"; then
			kill -TERM "$pid" 2>/dev/null || true
		fi
	done
	# Give the guests a moment to power off cleanly, then kill what is left
	# in the run's cgroups.
	local deadline=$((SECONDS + 10))
	while [ $SECONDS -lt $deadline ]; do
		local busy=0
		for cg in $(cgroups_of "$p"); do
			if [ -n "$(find "$cg" -name cgroup.procs -exec cat {} + 2>/dev/null)" ]; then busy=1; fi
		done
		[ $busy = 0 ] && break
		sleep 0.2
	done
	for cg in $(cgroups_of "$p"); do
		if [ -e "$cg/cgroup.kill" ]; then
			echo 1 >"$cg/cgroup.kill" 2>/dev/null || true
		else
			find "$cg" -name cgroup.procs -exec cat {} + 2>/dev/null | while read -r pid; do
				[ "$pid" -gt 1 ] && kill -KILL "$pid" 2>/dev/null || true
			done
		fi
	done
	deadline=$((SECONDS + 10))
	for cg in $(cgroups_of "$p"); do
		while [ -d "$cg" ]; do
			find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null || true
			[ -d "$cg" ] || break
			if [ $SECONDS -ge $deadline ]; then
				log "$p: cgroup $cg still busy"
				break
			fi
			sleep 0.1
		done
	done
}

clean_run() {
	local p="$1" m ns l
	log "removing lab run $p"
	kill_run "$p"
	# Overlay roots (deepest first), lazily if something still holds them.
	{ findmnt -rn -o TARGET | grep -F "$STATE_ROOT/$p/" || true; } | sort -r | while read -r m; do
		umount "$m" 2>/dev/null || umount -l "$m" || log "$p: cannot unmount $m"
	done
	{ ip netns list 2>/dev/null | awk '{print $1}' | grep "^$p" || true; } | while read -r ns; do
		ip netns del "$ns" || log "$p: cannot delete netns $ns"
	done
	# veths first (their netns may already have taken them), then bridges.
	{ ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | cut -d@ -f1 | grep "^$p" || true; } | sort -r | while read -r l; do
		ip link del "$l" 2>/dev/null || true
	done
	if [ -d "$STATE_ROOT/$p" ]; then
		if findmnt -rn -o TARGET | grep -qF "$STATE_ROOT/$p/"; then
			log "$p: mounts remain under $STATE_ROOT/$p; not removing it"
		else
			rm -rf --one-file-system "${STATE_ROOT:?}/$p"
		fi
	fi
}

if [ $# -gt 0 ]; then
	runs=("$@")
	for p in "${runs[@]}"; do valid "$p" || { log "not a lab run prefix: $p"; exit 2; }; done
else
	runs=()
	for p in $(candidates); do
		if alive "$p"; then
			log "skipping $p: its test process $(cat "$STATE_ROOT/$p/owner.pid") is still running"
		else
			runs+=("$p")
		fi
	done
fi
[ "${#runs[@]}" -gt 0 ] || { log "nothing to clean"; exit 0; }
for p in "${runs[@]}"; do clean_run "$p"; done
