# CIS audit rules, loaded with augenrules into a running auditd. auditd
# that cannot start fails the step, except inside a container where it is
# a documented container exception (kernel audit belongs to the host).
if [ "$ACTION" = delete ]; then
	remove_staged
	if systemctl is-active -q auditd; then augenrules --load >/dev/null; fi
	finish
	exit 0
fi
install_staged
if ! systemctl is-active -q auditd; then
	was_enabled=0
	systemctl is-enabled -q auditd 2>/dev/null && was_enabled=1
	if systemctl enable -q --now auditd 2>/dev/null; then
		log "started auditd"
		mark_changed
	elif container_exception service auditd; then
		# Leave the unit as it was, not enabled-and-failed.
		[ "$was_enabled" = 1 ] || systemctl disable -q auditd 2>/dev/null || true
		systemctl reset-failed auditd 2>/dev/null || true
		warn_exception service auditd "cannot start in a container; rules installed, not loaded"
		finish
		exit 0
	else
		log "error: auditd does not start: $(systemctl status auditd --no-pager -n 5 2>&1 | tail -n 5)"
		exit 1
	fi
	augenrules --load >/dev/null
	log "loaded audit rules"
elif staged_changed /etc/audit/rules.d/50-k3s-onprem.rules; then
	augenrules --load >/dev/null
	log "loaded audit rules"
fi
