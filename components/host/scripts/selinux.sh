# SELinux enforcing with the k3s-selinux policy on RHEL-family hosts.
family="$(os_family)"
if [ "$family" != rhel ] || ! command -v getenforce >/dev/null 2>&1; then
	log "skipped: SELinux applies to RHEL-family hosts with SELinux tools ($family has none)"
	finish
	exit 0
fi
if [ "$ACTION" = delete ]; then
	log "SELinux mode is left as is; k3s-selinux stays installed"
	finish
	exit 0
fi
install_staged
if ! rpm -q k3s-selinux >/dev/null 2>&1; then
	dnf install -y -q container-selinux k3s-selinux
	log "installed k3s-selinux"
	mark_changed
fi
if [ "$(getenforce)" != "${SELINUX_MODE^}" ]; then
	[ "$(getenforce)" = Disabled ] && { log "error: SELinux is disabled in the kernel; enable it and reboot first"; exit 1; }
	setenforce "$SELINUX_MODE"
	sed -i "s/^SELINUX=.*/SELINUX=$SELINUX_MODE/" /etc/selinux/config
	log "SELinux set to $SELINUX_MODE"
	mark_changed
fi
