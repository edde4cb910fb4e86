# Writes etcd-s3-secret-key into a root-only config.yaml.d drop-in from
# stdin (never command text, a unit or the environment), as a single-quoted
# YAML string. A running k3s is restarted, and this step waits until the
# server is healthy again, only when the secret changed: a new secret
# alone changes no other step.
if [ "$ACTION" = delete ]; then
	remove_staged
	[ -e "$DROPIN" ] && { rm -f "$DROPIN"; log "removed $DROPIN"; mark_changed; }
	finish
	exit 0
fi
secret=""
IFS= read -r secret || true
[ -n "$secret" ] || { log "error: stdin must carry the S3 secret key"; exit 1; }
install_staged
quoted="${secret//\'/\'\'}"
content="$(<"$TEMPLATE")"
content="${content//"$PLACEHOLDER"/"$quoted"}"
if [ ! -f "$DROPIN" ] || [ "$(<"$DROPIN")" != "$content" ] || [ "$(stat -c %a "$DROPIN")" != 600 ]; then
	install -d -m 0700 "$(dirname "$DROPIN")"
	tmp="$(mktemp "$DROPIN.XXXXXX")"
	printf '%s\n' "$content" >"$tmp"
	chmod 0600 "$tmp"
	mv -f "$tmp" "$DROPIN"
	log "wrote $DROPIN"
	mark_changed
	if systemctl is-active --quiet "$UNIT"; then
		restart_unit "for the new S3 secret"
		wait_for "$NODE_NAME: API ready, etcd member healthy, node Ready" "$WAIT_SECONDS" server_healthy
	fi
fi
