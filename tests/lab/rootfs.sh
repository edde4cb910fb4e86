#!/usr/bin/env bash
# Builds (once) the Debian bookworm root filesystem every lab host boots
# from, and prints its path. Converge-style: host packages are installed only
# when missing, and a rootfs that already exists for this package list and
# script version is reused as is.
#
#   bash tests/lab/rootfs.sh            # build if needed, print the path
#   bash tests/lab/rootfs.sh --path     # print the path it would use, no build
#
# The cache key is a hash of the package list, the suite and SCRIPT_VERSION,
# so changing any of them builds a fresh rootfs next to the old one. The
# build happens in a temporary directory that is renamed into place at the
# end: a crashed or interrupted build never leaves a half rootfs that the
# harness would boot.
#
# The Debian mirror is read from this machine's apt sources (one-line and
# deb822 formats), never hard-coded; LAB_MIRROR overrides it.
set -euo pipefail

# Bump when the build steps below change in a way that changes the result.
SCRIPT_VERSION=4
SUITE=bookworm
# Everything the lab hosts need, because they have no network access to a
# mirror: systemd as PID 1 with dbus/logind (firewall-cmd and systemctl work
# over SSH), sshd, firewalld and its backends, keepalived, and every package
# the program's own "packages" host step wants (components/host/steps.go), so
# that step finds them installed instead of trying to reach a mirror.
PACKAGES=(
	openssh-server systemd systemd-sysv dbus libpam-systemd
	iproute2 procps kmod sudo python3
	keepalived firewalld nftables iptables ebtables ethtool
	ca-certificates curl conntrack socat auditd
)

cache_root="${XDG_CACHE_HOME:-$HOME/.cache}/k3s-onprem/lab"
key="$(printf '%s\n' "$SCRIPT_VERSION" "$SUITE" "${PACKAGES[@]}" | sha256sum | cut -c1-12)"
target="$cache_root/rootfs-$key"

if [ "${1:-}" = --path ]; then
	echo "$target"
	exit 0
fi

log() { echo "rootfs.sh: $*" >&2; }

if [ "$(id -u)" != 0 ]; then
	log "must run as root (debootstrap, chroot, mounts)"
	exit 1
fi

mkdir -p "$cache_root"
# One build at a time: `make real-prereqs` and a developer's background run
# may start together; the second one waits and then finds the result.
exec 9>"$cache_root/.rootfs.lock"
flock 9

if [ -f "$target/.k3s-onprem-rootfs" ]; then
	log "reusing $target"
	echo "$target"
	exit 0
fi

# --- host packages ------------------------------------------------------
host_pkgs=(debootstrap systemd-container iproute2 bridge-utils openssh-client)
missing=()
for p in "${host_pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
	log "installing host packages: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# --- mirror from apt sources --------------------------------------------
# Prints "URI" of the first enabled deb source that serves $SUITE itself (not
# -updates or -security), looking at sources.list, *.list and *.sources
# exactly as apt does (files with other suffixes are ignored by apt too).
find_mirror() {
	local f
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		# deb [opts] URI suite comp...
		awk -v suite="$SUITE" '
			/^[ \t]*#/ { next }
			$1 == "deb" {
				i = 2
				if ($i ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
				if ($(i+1) == suite) { print $i; exit }
			}' "$f"
	done
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		# deb822 stanzas separated by blank lines; fields may be folded.
		awk -v suite="$SUITE" '
			function flush() {
				if (types ~ /(^| )deb( |$)/ && enabled != "no") {
					n = split(suites, s, " ")
					for (j = 1; j <= n; j++) if (s[j] == suite) { split(uris, u, " "); print u[1]; found = 1; exit }
				}
				types = ""; uris = ""; suites = ""; enabled = ""
			}
			/^[ \t]*#/ { next }
			/^[ \t]*$/ { flush(); next }
			/^[A-Za-z-]+:/ {
				field = tolower(substr($0, 1, index($0, ":") - 1))
				val = substr($0, index($0, ":") + 1)
			}
			/^[ \t]+[^ \t]/ { val = $0 }
			{
				gsub(/^[ \t]+|[ \t]+$/, "", val)
				if (field == "types") types = types " " val
				else if (field == "uris") uris = uris " " val
				else if (field == "suites") suites = suites " " val
				else if (field == "enabled") enabled = tolower(val)
			}
			END { if (!found) flush() }' "$f"
	done
}
mirror="${LAB_MIRROR:-$(find_mirror | head -n1)}"
if [ -z "$mirror" ]; then
	log "no apt source for suite $SUITE found in /etc/apt/sources.list{,.d/*}; set LAB_MIRROR"
	exit 1
fi
log "mirror from apt sources: $mirror"

# --- build --------------------------------------------------------------
tmp="$cache_root/.build-$key.$$"
cleanup() {
	local rc=$?
	if [ -d "$tmp" ]; then
		# debootstrap and our chroot steps mount proc/sys/dev inside; a
		# failed run must not leave them behind (rm would descend into them).
		findmnt -rn -o TARGET | grep -F "$tmp" | sort -r | while read -r m; do umount -l "$m" || true; done
		rm -rf --one-file-system "$tmp"
	fi
	exit "$rc"
}
trap cleanup EXIT
rm -rf --one-file-system "$cache_root"/.build-"$key".* 2>/dev/null || true
mkdir -p "$tmp"

start=$(date +%s)
include="$(IFS=,; echo "${PACKAGES[*]}")"
log "debootstrap $SUITE (minbase + ${#PACKAGES[@]} packages) into $tmp"
# debootstrap's resolver cannot satisfy polkitd's "default-logind | logind"
# (provided by libpam-systemd), so it may leave polkitd and firewalld
# unconfigured or exit non-zero at the very end; the chroot step below
# completes them and the checks after it decide whether the result is good.
if ! nice -n 10 debootstrap --variant=minbase --include="$include" "$SUITE" "$tmp" "$mirror"; then
	log "debootstrap exited non-zero; trying to complete the install in the chroot"
	[ -x "$tmp/usr/bin/apt-get" ] || { log "no apt-get in the target: debootstrap failed early"; exit 1; }
fi

in_chroot() {
	mount -t proc proc "$tmp/proc"
	mount --rbind /sys "$tmp/sys"
	mount --make-rslave "$tmp/sys"
	mount --rbind /dev "$tmp/dev"
	mount --make-rslave "$tmp/dev"
	local rc=0
	DEBIAN_FRONTEND=noninteractive LC_ALL=C chroot "$tmp" "$@" || rc=$?
	umount -R "$tmp/dev" "$tmp/sys" "$tmp/proc" || umount -l "$tmp/dev" "$tmp/sys" "$tmp/proc" || true
	return "$rc"
}

# No service may start inside the chroot (it would run on the build machine).
printf '#!/bin/sh\nexit 101\n' >"$tmp/usr/sbin/policy-rc.d"
chmod 755 "$tmp/usr/sbin/policy-rc.d"
in_chroot sh -c 'dpkg --configure -a; apt-get install -y -qq --no-install-recommends libpam-systemd >/dev/null && dpkg --configure -a'
rm -f "$tmp/usr/sbin/policy-rc.d"

# Per-host identity comes from the harness: no baked SSH host keys (every
# host would share them) and no machine-id (the harness writes one per host).
rm -f "$tmp"/etc/ssh/ssh_host_*
: >"$tmp/etc/machine-id"
rm -f "$tmp/var/lib/dbus/machine-id"
# The harness writes hostname, hosts and resolv.conf per host.
rm -f "$tmp/etc/hostname"
# auditd stays installed (the host steps configure its rules) but disabled:
# the kernel audit subsystem is not namespaced, so auditd fails in every
# container and would leave each host "degraded" a moment after boot. The
# host steps detect the container and do not enable it either.
chroot "$tmp" systemctl disable -q auditd.service
# Units that cannot work in a container or would only slow the boot down.
for u in systemd-timesyncd.service apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer fstrim.timer; do
	ln -sf /dev/null "$tmp/etc/systemd/system/$u"
done
chroot "$tmp" apt-get clean

# --- checks -------------------------------------------------------------
audit="$(chroot "$tmp" dpkg --audit || true)"
if [ -n "$audit" ]; then
	log "packages left unconfigured:"
	echo "$audit" >&2
	exit 1
fi
for p in "${PACKAGES[@]}"; do
	chroot "$tmp" dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || {
		log "package $p is not installed"
		exit 1
	}
done
for f in /usr/sbin/sshd /lib/systemd/systemd /usr/bin/systemd-analyze /usr/sbin/firewalld /usr/bin/firewall-cmd /usr/sbin/keepalived /usr/bin/dbus-daemon; do
	[ -e "$tmp$f" ] || { log "missing $f"; exit 1; }
done

printf 'suite=%s\npackages=%s\nscript_version=%s\nbuilt=%s\nseconds=%s\n' \
	"$SUITE" "$include" "$SCRIPT_VERSION" "$(date -u +%FT%TZ)" "$(($(date +%s) - start))" >"$tmp/.k3s-onprem-rootfs"
mv -T "$tmp" "$target"
trap - EXIT
# Older rootfs versions are dead weight (about 400 MB each) once this one
# exists; keep any that a running lab still has as an overlay lower dir.
for old in "$cache_root"/rootfs-*; do
	[ "$old" = "$target" ] && continue
	if grep -qF "lowerdir=$old" /proc/self/mountinfo; then
		log "keeping $old: a running lab uses it"
	else
		log "removing the older $old"
		rm -rf --one-file-system "$old"
	fi
done
log "built $target in $(($(date +%s) - start)) s ($(du -sh "$target" | cut -f1))"
echo "$target"
