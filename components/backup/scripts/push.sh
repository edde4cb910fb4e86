#!/usr/bin/env bash
# Managed by k3s-onprem; changes here are overwritten.
# Pushes this server's etcd snapshot directory to the backup host as a new
# run <UTC timestamp>/ with rsync --link-dest=<latest run>: every run is a
# full, browsable tree, and a file unchanged since the last run is a hard
# link to it (no bytes sent, no space used). SHA256SUMS is computed here
# before the transfer and verified by the backup host after it; only then
# does the host move its latest pointer and prune old runs (backup-gate).
# Usage: etcd-backup-push CONFIG (the step's push.conf: plain settings).
set -euo pipefail
umask 077
export LC_ALL=C

conf="${1:?usage: etcd-backup-push CONFIG}"
# shellcheck source=/dev/null
. "$conf"
: "${BACKUP_HOST:?} ${BACKUP_PORT:?} ${BACKUP_USER:?} ${SNAPSHOT_DIR:?} ${KEY_FILE:?} ${KNOWN_HOSTS:?} ${STATE_DIR:?}"

log() { printf 'etcd-backup-push: %s\n' "$*" >&2; }
ssh_opts=(-i "$KEY_FILE" -p "$BACKUP_PORT" -o IdentitiesOnly=yes -o BatchMode=yes
	-o StrictHostKeyChecking=yes -o UserKnownHostsFile="$KNOWN_HOSTS" -o GlobalKnownHostsFile=/dev/null
	-o ConnectTimeout=20 -o ServerAliveInterval=15 -o ServerAliveCountMax=4)
remote() { ssh "${ssh_opts[@]}" "$BACKUP_USER@$BACKUP_HOST" "$@"; }

[ -d "$SNAPSHOT_DIR" ] || { log "error: no snapshot directory $SNAPSHOT_DIR (is this an etcd server?)"; exit 1; }
install -d -m 0700 "$STATE_DIR"
start=$SECONDS
run="$(date -u +%Y%m%dT%H%M%SZ)"
sums="$STATE_DIR/SHA256SUMS"
(cd "$SNAPSHOT_DIR" && find . -type f -print0 | sort -z | xargs -0 -r sha256sum) >"$sums.new"
mv -f "$sums.new" "$sums"
files="$(wc -l <"$sums")"
prev="$(remote latest)"
link=()
if [ -n "$prev" ]; then
	# rrsync takes paths anchored at the node's directory, never "..".
	link=(--link-dest="/$prev")
fi
stats="$STATE_DIR/rsync-stats"
# -rlpt, not -a: the backup user cannot (and need not) own files as root.
rsync -rlpt --stats --rsh="ssh ${ssh_opts[*]}" "${link[@]}" \
	"$SNAPSHOT_DIR/" "$sums" "$BACKUP_USER@$BACKUP_HOST:$run/" >"$stats"
verdict="$(remote finish "$run")"
sent="$(sed -n 's/^Total bytes sent: //p' "$stats" | tr -d ,)"
literal="$(sed -n 's/^Literal data: \([0-9,]*\).*/\1/p' "$stats" | tr -d ,)"
printf 'run=%s previous=%s files=%s bytes_sent=%s literal_bytes=%s seconds=%s\n' \
	"$run" "${prev:-none}" "$files" "${sent:-0}" "${literal:-0}" "$((SECONDS - start))" >"$STATE_DIR/last-run"
log "$verdict; $(cat "$STATE_DIR/last-run")"
