# Installs the off-host copy on a server: the push script, its settings,
# the pinned backup host key, the unit and its timer, and the private key
# from stdin (never from command text or the environment). The timer runs
# the push; this step does not.
if [ "$ACTION" = delete ]; then
	if systemctl is-enabled --quiet "$TIMER" 2>/dev/null || systemctl is-active --quiet "$TIMER"; then
		systemctl disable --now "$TIMER" >/dev/null 2>&1
		log "stopped $TIMER"
		mark_changed
	fi
	remove_staged
	[ -e "$KEY_FILE" ] && { rm -f "$KEY_FILE"; log "removed $KEY_FILE"; mark_changed; }
	systemctl daemon-reload
	finish
	exit 0
fi
install_missing rsync rsync rsync
install_missing ssh openssh-client openssh-clients
key="$(cat)"
case "$key" in
"-----BEGIN OPENSSH PRIVATE KEY-----"*) ;;
*) log "error: stdin must carry the backup key (OpenSSH private key)"; exit 1 ;;
esac
install -d -m 0700 "$(dirname "$KEY_FILE")"
if [ ! -f "$KEY_FILE" ] || [ "$(<"$KEY_FILE")" != "$key" ] || [ "$(stat -c %a "$KEY_FILE")" != 600 ]; then
	tmp="$(mktemp "$KEY_FILE.XXXXXX")"
	printf '%s\n' "$key" >"$tmp"
	chmod 0600 "$tmp"
	mv -f "$tmp" "$KEY_FILE"
	log "wrote $KEY_FILE"
	mark_changed
fi
install_staged
if staged_changed "$UNIT_PATH" "$TIMER_PATH"; then
	systemctl daemon-reload
fi
if ! systemctl is-enabled --quiet "$TIMER" || ! systemctl is-active --quiet "$TIMER"; then
	systemctl enable --now "$TIMER" >/dev/null 2>&1
	log "enabled $TIMER"
	mark_changed
elif staged_changed "$TIMER_PATH"; then
	systemctl restart "$TIMER"
	log "restarted $TIMER (schedule changed)"
fi
