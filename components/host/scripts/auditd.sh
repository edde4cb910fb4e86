# CIS audit rules, loaded with augenrules. Inside a container the kernel
# audit subsystem belongs to the host, so loading is skipped there.
if [ "$ACTION" = delete ]; then
	remove_staged
	in_container || augenrules --load >/dev/null
	finish
	exit 0
fi
install_staged
if in_container; then
	log "warning: audit rules installed but not loaded (no kernel audit inside a container)"
else
	systemctl is-enabled -q auditd || { systemctl enable --now auditd; mark_changed; }
	if staged_changed /etc/audit/rules.d/50-k3s-onprem.rules; then
		augenrules --load >/dev/null
		log "loaded audit rules"
	fi
fi
