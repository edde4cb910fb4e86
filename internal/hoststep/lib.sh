# k3s-onprem host step library: prepended to every step script.
# Converge-style helpers; each records whether it changed anything so a
# re-run can prove it is a no-op (the last line says "changed" or "unchanged").
set -euo pipefail
umask 077

STEP_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
STEP_CHANGED=0
declare -A STEP_TOUCHED=()
# RESTORE_DIR (set with STEP_NAME, below this library) keeps what the step
# found before it first changed it (files it replaced, sysctl values, unit
# states), outside the staging directory (a re-staged step must not lose
# it); delete puts it back and removes it.

log() { printf '%s: %s\n' "$STEP_NAME" "$*" >&2; }
mark_changed() { STEP_CHANGED=1; }

# install_staged installs every file listed in files.list ("mode staged
# path") from the staging directory into place, only when its content or
# mode differs.
install_staged() {
	local mode staged path src cur
	[ -f "$STEP_DIR/files.list" ] || return 0
	while read -r mode staged path; do
		[ -n "$path" ] || continue
		src="$STEP_DIR/$staged"
		if [ -f "$path" ] && cmp -s "$src" "$path"; then
			cur="$(stat -c '%a' "$path")"
			if [ "$cur" != "${mode#0}" ] && [ "0$cur" != "$mode" ]; then
				chmod "$mode" "$path"
				mark_changed
			fi
			continue
		fi
		record_file "$path"
		install -D -m "$mode" -o root -g root "$src" "$path"
		STEP_TOUCHED[$path]=1
		log "installed $path"
		mark_changed
	done <"$STEP_DIR/files.list"
}

# record_file PATH keeps the file PATH as it is before the step first
# writes it: a copy when it exists, an "absent" mark when it does not. A
# file that already carries our marker is ours (installed before records
# existed) and counts as absent.
record_file() {
	local path="$1"
	[ -e "$RESTORE_DIR/files$path" ] || [ -e "$RESTORE_DIR/absent$path" ] && return 0
	if [ -e "$path" ] && ! grep -qs 'k3s-onprem' "$path"; then
		install -d -m 0700 "$(dirname "$RESTORE_DIR/files$path")"
		cp -a "$path" "$RESTORE_DIR/files$path"
	else
		install -d -m 0700 "$(dirname "$RESTORE_DIR/absent$path")"
		: >"$RESTORE_DIR/absent$path"
	fi
}

# remove_staged reverts what the step did (used by delete): each installed
# file is restored from its record or removed, then the recorded sysctl
# values and unit states are put back and the records dropped.
remove_staged() {
	local mode staged path units=0
	if [ -f "$STEP_DIR/files.list" ]; then
		while read -r mode staged path; do
			[ -n "$path" ] || continue
			restore_file "$path"
			case "$path" in /etc/systemd/*) units=1 ;; esac
		done <"$STEP_DIR/files.list"
	fi
	# A unit file or drop-in went: systemd must see that before any unit
	# is put back.
	[ "$units" = 0 ] || systemctl daemon-reload
	restore_sysctls
	restore_units
	forget_records
}

# restore_file PATH puts back the file PATH had before the step, or
# removes PATH when there was none.
restore_file() {
	local path="$1"
	if [ -e "$RESTORE_DIR/files$path" ]; then
		if ! cmp -s "$RESTORE_DIR/files$path" "$path"; then
			cp -a "$RESTORE_DIR/files$path" "$path"
			log "restored $path"
			mark_changed
		fi
	elif [ -e "$path" ]; then
		rm -f "$path"
		log "removed $path"
		mark_changed
	fi
}

# forget_records drops the step's records once everything is put back.
forget_records() {
	[ -d "$RESTORE_DIR" ] || return 0
	rm -rf "$RESTORE_DIR"
	rmdir "$(dirname "$RESTORE_DIR")" 2>/dev/null || true
}

# record_sysctl KEY VALUE keeps the value KEY had before the step first
# changed it.
record_sysctl() {
	install -d -m 0700 "$RESTORE_DIR"
	grep -qs "^$1=" "$RESTORE_DIR/sysctl" || printf '%s=%s\n' "$1" "$2" >>"$RESTORE_DIR/sysctl"
}

# restore_sysctls writes back every recorded value, last recorded first.
restore_sysctls() {
	local key value
	[ -f "$RESTORE_DIR/sysctl" ] || return 0
	while IFS='=' read -r key value; do
		[ "$(sysctl -n "$key" 2>/dev/null | xargs || true)" = "$value" ] && continue
		if sysctl -q -w "$key=$value" >/dev/null 2>&1; then
			log "sysctl $key=$value (restored)"
			mark_changed
		else
			log "error: cannot restore $key=$value"
			return 1
		fi
	done < <(tac "$RESTORE_DIR/sysctl")
}

# record_unit UNIT keeps whether UNIT was enabled and active before the
# step first changed it; restore_unit UNIT puts both back.
record_unit() {
	local f="$RESTORE_DIR/unit-$1"
	[ -e "$f" ] && return 0
	install -d -m 0700 "$RESTORE_DIR"
	printf '%s %s\n' "$(systemctl is-enabled "$1" 2>/dev/null || true)" "$(systemctl is-active "$1" 2>/dev/null || true)" >"$f"
}
restore_unit() {
	local f="$RESTORE_DIR/unit-$1" enabled active
	[ -e "$f" ] || return 0
	read -r enabled active <"$f"
	case "$enabled" in
	enabled) systemctl is-enabled --quiet "$1" || { systemctl enable "$1" >/dev/null 2>&1; mark_changed; } ;;
	*) ! systemctl is-enabled --quiet "$1" 2>/dev/null || { systemctl disable "$1" >/dev/null 2>&1; mark_changed; } ;;
	esac
	case "$active" in
	active) systemctl is-active --quiet "$1" || { systemctl start "$1"; mark_changed; } ;;
	*) ! systemctl is-active --quiet "$1" || { systemctl stop "$1"; mark_changed; } ;;
	esac
	log "$1 back to ${enabled:-unknown}/${active:-unknown}"
}

# restore_units puts back every recorded unit state.
restore_units() {
	local f
	for f in "$RESTORE_DIR"/unit-*; do
		[ -e "$f" ] && restore_unit "${f##*/unit-}"
	done
	return 0
}

# staged_changed PATH... succeeds when any of the given installed files was
# (re)written in this run; used to reload only what changed.
staged_changed() {
	local p
	for p in "$@"; do
		[ -n "${STEP_TOUCHED[$p]:-}" ] && return 0
	done
	return 1
}

# os_family prints rhel or debian.
os_family() {
	. /etc/os-release
	case " ${ID:-} ${ID_LIKE:-} " in
	*" rhel "* | *" fedora "* | *" centos "*) echo rhel ;;
	*" debian "* | *" ubuntu "*) echo debian ;;
	*) echo "unsupported:${ID:-unknown}" ;;
	esac
}

# in_container succeeds inside a container, where kernel-wide settings
# (modules, non-network sysctls, kernel audit) belong to the host kernel.
in_container() { systemd-detect-virt --container --quiet 2>/dev/null; }

# container_exception KIND NAME succeeds when this host is a container and
# KIND:NAME is on the step's CONTAINER_EXCEPTIONS, the documented list of
# settings no container can make (components/host ContainerExceptions).
# Anything else that cannot be applied fails the step.
container_exception() {
	in_container || return 1
	case " ${CONTAINER_EXCEPTIONS:-} " in *" $1:$2 "*) return 0 ;; esac
	return 1
}

# warn_exception KIND NAME DETAIL logs the one warning format a container
# exception produces (the lab asserts on it).
warn_exception() { log "warning: container exception $1:$2: $3"; }

finish() {
	if [ "$STEP_CHANGED" = 1 ]; then echo changed; else echo unchanged; fi
}

# apply_sysctl_file FILE applies every key in FILE. A key the kernel does
# not have (misspelled, or its module missing) or cannot write fails the
# step, unless it is a container exception inside a container.
apply_sysctl_file() {
	local file="$1" key value cur
	while IFS='=' read -r key value; do
		key="$(echo "$key" | xargs)"
		value="$(echo "$value" | xargs)"
		case "$key" in '' | '#'*) continue ;; esac
		if [ ! -e "/proc/sys/${key//.//}" ]; then
			if container_exception sysctl "$key"; then
				warn_exception sysctl "$key" "no such key in this container"
				continue
			fi
			log "error: unknown sysctl key $key (misspelled, or its kernel module is not loaded)"
			return 1
		fi
		cur="$(sysctl -n "$key" 2>/dev/null | xargs || true)"
		[ "$cur" = "$value" ] && continue
		record_sysctl "$key" "$cur"
		if sysctl -q -w "$key=$value" >/dev/null 2>&1; then
			log "sysctl $key=$value (was ${cur:-unset})"
			mark_changed
		elif container_exception sysctl "$key"; then
			warn_exception sysctl "$key" "read-only in a container; the host kernel has ${cur:-unset}, want $value"
		else
			log "error: cannot set $key=$value (kernel has ${cur:-unset})"
			return 1
		fi
	done <"$file"
}

# load_modules FILE loads every module listed in FILE (modules-load.d format).
load_modules() {
	local file="$1" m
	while read -r m; do
		case "$m" in '' | '#'*) continue ;; esac
		[ -d "/sys/module/$m" ] && continue
		if modprobe "$m" 2>/dev/null; then
			log "loaded module $m"
			mark_changed
		elif container_exception module "$m"; then
			warn_exception module "$m" "not loaded in the host kernel (or built in without a /sys/module entry); a container cannot load it"
		else
			log "error: cannot load module $m"
			return 1
		fi
	done <"$file"
}
