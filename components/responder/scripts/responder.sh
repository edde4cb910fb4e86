# The Falco responder on a server: binary (checked against its sha256),
# configuration, firewalld policy, credentials and the hardened unit.
# stdin carries the shared secret (first line), then the TLS key and
# certificate (PEM); the secret never appears in a staged file, argv or
# the environment. The ServiceAccount token is minted here, through the
# TokenRequest API with the server's own admin kubeconfig (bound, expiring;
# the token timer refreshes it), so it is no resource input and appears in
# no command text.
SERVER_CA=/var/lib/rancher/k3s/server/tls/server-ca.crt

reload_firewall() {
	if systemctl is-active --quiet firewalld; then
		firewall-cmd --reload >/dev/null
		log "reloaded firewalld"
	fi
}

# USER_RECORD marks a service user this step created (delete removes it;
# a user that existed before stays).
USER_RECORD="$RESTORE_DIR/created-user"
if [ "$ACTION" = delete ]; then
	created_user=0
	[ -e "$USER_RECORD" ] && created_user=1
	for u in "$UNIT" "$TOKEN_TIMER"; do
		if systemctl is-enabled --quiet "$u" 2>/dev/null || systemctl is-active --quiet "$u"; then
			systemctl disable --now "$u" >/dev/null 2>&1
			mark_changed
		fi
	done
	remove_staged
	rm -rf "$CREDENTIAL_DIR" "$BINARY" "$TOKEN_DIR"
	systemctl daemon-reload
	reload_firewall
	# Its files are gone with the directories above; nothing keeps its uid.
	if [ "$created_user" = 1 ] && getent passwd "$SERVICE_USER" >/dev/null; then
		userdel "$SERVICE_USER"
		if getent group "$SERVICE_USER" >/dev/null; then groupdel "$SERVICE_USER"; fi
		log "removed the responder's service user"
		mark_changed
	fi
	finish
	exit 0
fi

# write_secret PATH CONTENT writes a root-only file when its content differs.
write_secret() {
	local path="$1" content="$2" tmp
	if [ -f "$path" ] && [ "$(<"$path")" = "$content" ] && [ "$(stat -c '%a' "$path")" = 600 ]; then
		return 0
	fi
	tmp="$(mktemp "$path.XXXXXX")"
	printf '%s\n' "$content" >"$tmp"
	chmod 0600 "$tmp"
	mv -f "$tmp" "$path"
	log "wrote $path"
	mark_changed
	restart=1
}

restart=0
BINARY_SRC="$STEP_DIR/upload-$UPLOAD_NAME"
[ -f "$BINARY_SRC" ] || { log "error: $BINARY_SRC was not copied"; exit 1; }
echo "$BINARY_SHA256  $BINARY_SRC" | sha256sum -c --quiet - || { log "error: $BINARY_SRC does not match its sha256"; exit 1; }
if ! cmp -s "$BINARY_SRC" "$BINARY"; then
	install -D -m 0755 -o root -g root "$BINARY_SRC" "$BINARY"
	log "installed $BINARY"
	mark_changed
	restart=1
fi
install_staged
staged_changed "$CONFIG" "$UNIT_FILE" && restart=1
staged_changed "$POLICY" && reload_firewall
# The service user (and group) that may read the token; idempotent.
if ! getent passwd "$SERVICE_USER" >/dev/null; then
	systemd-sysusers "$SYSUSERS"
	install -d -m 0700 "$RESTORE_DIR"
	: >"$USER_RECORD"
	log "created the responder's service user"
	mark_changed
fi

secret="" rest=""
IFS= read -r secret || true
rest="$(cat)"
[ "${#secret}" -ge 16 ] || { log "error: stdin must start with the shared secret (16+ characters)"; exit 1; }
key="$(printf '%s\n' "$rest" | awk '/-----BEGIN .*PRIVATE KEY-----/{p=1} p{print} /-----END .*PRIVATE KEY-----/{p=0}')"
cert="$(printf '%s\n' "$rest" | awk '/-----BEGIN CERTIFICATE-----/{p=1} p{print} /-----END CERTIFICATE-----/{p=0}')"
[ -n "$key" ] && [ -n "$cert" ] || { log "error: stdin must carry the TLS key and certificate after the secret"; exit 1; }
install -d -m 0700 -o root -g root "$CREDENTIAL_DIR"
write_secret "$CREDENTIAL_DIR/secret" "$secret"
write_secret "$CREDENTIAL_DIR/tls.key" "$key"
write_secret "$CREDENTIAL_DIR/tls.crt" "$cert"

# A bound token first (the unit starts with one), then the timer that
# refreshes it before it expires.
systemctl daemon-reload
if [ ! -s "$TOKEN_PATH" ] || staged_changed "$TOKEN_SCRIPT" "$TOKEN_UNIT_FILE"; then
	systemctl start "$TOKEN_UNIT" || { log "error: $TOKEN_UNIT failed"; journalctl -u "$TOKEN_UNIT" -n 20 --no-pager >&2 || true; exit 1; }
	log "minted the responder's ServiceAccount token"
	mark_changed
fi
if ! systemctl is-enabled --quiet "$TOKEN_TIMER" || ! systemctl is-active --quiet "$TOKEN_TIMER"; then
	systemctl enable --now "$TOKEN_TIMER" >/dev/null 2>&1
	mark_changed
fi
[ -f "$SERVER_CA" ] || { log "error: $SERVER_CA missing; is this a k3s server?"; exit 1; }
# No secret in it: the token is a file client-go re-reads.
kubeconfig="apiVersion: v1
kind: Config
clusters:
- name: local
  cluster:
    server: $API_URL
    certificate-authority-data: $(base64 -w0 "$SERVER_CA")
users:
- name: responder
  user:
    tokenFile: $TOKEN_PATH
contexts:
- name: responder
  context:
    cluster: local
    user: responder
current-context: responder"
write_secret "$CREDENTIAL_DIR/kubeconfig" "$kubeconfig"

if ! systemctl is-enabled --quiet "$UNIT"; then
	systemctl enable "$UNIT" >/dev/null 2>&1
	mark_changed
fi
if ! systemctl is-active --quiet "$UNIT"; then
	systemctl start "$UNIT"
	log "started $UNIT"
	mark_changed
elif [ "$restart" = 1 ]; then
	systemctl restart "$UNIT"
	log "restarted $UNIT"
fi
# Health gate: the unit answers on its port (TLS, any certificate: this
# checks the process, not the chain, which falcosidekick verifies).
for _ in $(seq 1 30); do
	if curl -fsS -k --max-time 2 "https://127.0.0.1:$PORT/healthz" >/dev/null 2>&1; then
		finish
		exit 0
	fi
	sleep 1
done
log "error: $UNIT does not answer on https://127.0.0.1:$PORT/healthz"
journalctl -u "$UNIT" -n 20 --no-pager >&2 || true
exit 1
