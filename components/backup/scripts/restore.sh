#!/usr/bin/env bash
# Managed by k3s-onprem; changes here are overwritten.
# k3s-onprem etcd restore, run as root on a server by cmd/restore (or by
# hand, in the order it prints). Actions:
#   stop                 stop k3s (every server, before anything else)
#   fetch RUN FILE       copy FILE of backup run RUN back from the backup
#                        host with this server's backup key and verify it
#                        against the run's SHA256SUMS; prints its path
#   reset PATH           first server: k3s server --cluster-reset
#                        --cluster-reset-restore-path=PATH, then start k3s
#                        and wait until it is healthy
#   rejoin               other servers, one at a time: move the etcd data
#                        aside, start k3s, wait until it is healthy
set -euo pipefail
umask 077
export LC_ALL=C
K3S_BIN="${K3S_BIN:-/usr/local/bin/k3s}"
UNIT="${K3S_UNIT:-k3s.service}"
DB_DIR="${K3S_DB_DIR:-/var/lib/rancher/k3s/server/db}"
CONF="${BACKUP_CONF:-/etc/k3s-onprem/etcd-backup/push.conf}"
RESTORE_DIR="${RESTORE_DIR:-/var/lib/k3s-onprem/restore}"
WAIT_SECONDS="${WAIT_SECONDS:-600}"
run_re='^[0-9]{8}T[0-9]{6}Z$'
file_re='^[A-Za-z0-9._-]+$'

log() { printf 'k3s-onprem-restore %s: %s\n' "$(hostname)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

healthy() {
	[ "$("$K3S_BIN" kubectl get --raw /readyz 2>/dev/null)" = ok ] &&
		[ "$("$K3S_BIN" kubectl get --raw /readyz/etcd 2>/dev/null)" = ok ]
}
wait_healthy() {
	local deadline=$((SECONDS + WAIT_SECONDS))
	until healthy; do
		[ "$SECONDS" -lt "$deadline" ] || die "k3s not healthy within ${WAIT_SECONDS}s (journalctl -u $UNIT)"
		sleep 2
	done
	log "k3s healthy (API ready, etcd ok)"
}

stop() {
	if systemctl is-active --quiet "$UNIT"; then
		systemctl stop "$UNIT"
		log "stopped $UNIT"
	else
		log "$UNIT already stopped"
	fi
}

fetch() {
	local run="$1" file="$2" dest
	[[ "$run" =~ $run_re ]] || die "run $run: want a UTC stamp such as 20261201T054655Z"
	[[ "$file" =~ $file_re ]] || die "file $file: want a snapshot file name"
	[ -r "$CONF" ] || die "no $CONF: this server has no off-host copy configured"
	# shellcheck source=/dev/null
	. "$CONF"
	dest="$RESTORE_DIR/$run"
	install -d -m 0700 "$dest"
	rsync -t --rsh="ssh -i $KEY_FILE -p $BACKUP_PORT -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile=$KNOWN_HOSTS -o GlobalKnownHostsFile=/dev/null" \
		"$BACKUP_USER@$BACKUP_HOST:/$run/SHA256SUMS" "$BACKUP_USER@$BACKUP_HOST:/$run/$file" "$dest/" >&2
	(cd "$dest" && grep -E "^[0-9a-f]{64}  \./$file\$" SHA256SUMS >SHA256SUMS.want) || die "$file is not listed in run $run's SHA256SUMS"
	(cd "$dest" && sha256sum --quiet --strict -c SHA256SUMS.want >&2) || die "$file does not match run $run's SHA256SUMS: not restoring from it"
	log "fetched $file of run $run, checksum verified"
	echo "$dest/$file"
}

reset() {
	local snapshot="$1"
	[ -f "$snapshot" ] || die "no snapshot $snapshot"
	! systemctl is-active --quiet "$UNIT" || die "$UNIT is running; stop k3s on every server first"
	log "resetting etcd from $snapshot"
	"$K3S_BIN" server --cluster-reset --cluster-reset-restore-path="$snapshot"
	systemctl start "$UNIT"
	wait_healthy
}

rejoin() {
	local aside
	! systemctl is-active --quiet "$UNIT" || die "$UNIT is running; stop it first"
	if [ -d "$DB_DIR" ]; then
		aside="$DB_DIR.before-restore-$(date -u +%Y%m%dT%H%M%SZ)"
		mv "$DB_DIR" "$aside"
		log "moved the old etcd data to $aside"
	fi
	systemctl start "$UNIT"
	wait_healthy
}

action="${1:-}"
shift || true
case "$action" in
stop) stop ;;
fetch) [ "$#" = 2 ] || die "usage: fetch RUN FILE"; fetch "$@" ;;
reset) [ "$#" = 1 ] || die "usage: reset PATH"; reset "$1" ;;
rejoin) [ "$#" = 0 ] || die "usage: rejoin"; rejoin ;;
*) die "usage: stop | fetch RUN FILE | reset PATH | rejoin" ;;
esac
