# sshd hardening drop-in, validated with `sshd -t` before any reload; a
# drop-in that fails validation is rolled back, so the operator keeps access.
DROPIN=/etc/ssh/sshd_config.d/00-k3s-onprem.conf
reload_sshd() {
	if sshd -t; then
		systemctl reload ssh 2>/dev/null || systemctl reload sshd
	else
		return 1
	fi
}
if [ "$ACTION" = delete ]; then
	remove_staged
	reload_sshd
	finish
	exit 0
fi
if ! grep -qE '^\s*Include\s+/etc/ssh/sshd_config\.d/\*\.conf' /etc/ssh/sshd_config; then
	sed -i '1i Include /etc/ssh/sshd_config.d/*.conf' /etc/ssh/sshd_config
	log "added the sshd_config.d include"
	mark_changed
fi
backup=""
[ -f "$DROPIN" ] && backup="$(cat "$DROPIN")"
install_staged
if staged_changed "$DROPIN"; then
	if ! reload_sshd; then
		if [ -n "$backup" ]; then printf '%s\n' "$backup" >"$DROPIN"; else rm -f "$DROPIN"; fi
		log "error: sshd -t rejected the hardened configuration; rolled back"
		exit 1
	fi
	log "reloaded sshd"
fi
