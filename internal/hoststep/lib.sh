# k3s-onprem host step library: prepended to every step script.
# Converge-style helpers; each records whether it changed anything so a
# re-run can prove it is a no-op (the last line says "changed" or "unchanged").
set -euo pipefail
umask 077

STEP_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
STEP_CHANGED=0
declare -A STEP_TOUCHED=()

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
		install -D -m "$mode" -o root -g root "$src" "$path"
		STEP_TOUCHED[$path]=1
		log "installed $path"
		mark_changed
	done <"$STEP_DIR/files.list"
}

# remove_staged removes the files this step installed (used by delete).
remove_staged() {
	local mode staged path
	[ -f "$STEP_DIR/files.list" ] || return 0
	while read -r mode staged path; do
		[ -n "$path" ] || continue
		if [ -e "$path" ]; then
			rm -f "$path"
			log "removed $path"
			mark_changed
		fi
	done <"$STEP_DIR/files.list"
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
# (modules, non-network sysctls) belong to the host kernel.
in_container() { systemd-detect-virt --container --quiet 2>/dev/null; }

finish() {
	if [ "$STEP_CHANGED" = 1 ]; then echo changed; else echo unchanged; fi
}

# apply_sysctl_file FILE applies every key in FILE. Inside a container the
# kernel-wide keys (vm.*, kernel.*) are read-only and belong to the host: a
# key that cannot be written is accepted only there, and only with a warning.
apply_sysctl_file() {
	local file="$1" key value cur
	while IFS='=' read -r key value; do
		key="$(echo "$key" | xargs)"
		value="$(echo "$value" | xargs)"
		case "$key" in '' | '#'*) continue ;; esac
		cur="$(sysctl -n "$key" 2>/dev/null | xargs || true)"
		[ "$cur" = "$value" ] && continue
		if sysctl -q -w "$key=$value" >/dev/null 2>&1; then
			log "sysctl $key=$value (was ${cur:-unset})"
			mark_changed
		elif in_container; then
			log "warning: $key cannot be set inside a container (host kernel has ${cur:-unset})"
		else
			log "error: cannot set $key=$value"
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
		elif in_container; then
			log "warning: module $m is not loaded in the host kernel and cannot be loaded from a container"
		else
			log "error: cannot load module $m"
			return 1
		fi
	done <"$file"
}
