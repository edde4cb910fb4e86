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
