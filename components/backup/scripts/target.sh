# Prepares the backup host: a dedicated user whose only login is one
# authorized_keys line per server, each forced into backup-gate with that
# server's directory (restrict: no pty, no forwarding, no shell), and the
# directories <root>/<cluster>/<node>. delete removes the user, its keys
# and the gate but never the backups.
if [ "$ACTION" = delete ]; then
	restore_file "$HOME_DIR/.ssh/authorized_keys"
	remove_staged
	if id "$BACKUP_USER" >/dev/null 2>&1; then
		# A login leaves the user's systemd --user manager behind a while;
		# userdel refuses a user with processes.
		loginctl terminate-user "$BACKUP_USER" 2>/dev/null || true
		systemctl stop "user@$(id -u "$BACKUP_USER").service" 2>/dev/null || true
		userdel "$BACKUP_USER"
		log "removed user $BACKUP_USER; the backups under $BACKUP_ROOT/$CLUSTER stay"
		mark_changed
	fi
	finish
	exit 0
fi
install_missing rsync rsync rsync
command -v rrsync >/dev/null || {
	log "error: rrsync is missing on the backup host (Debian and Ubuntu ship it in the rsync package; elsewhere install rsync's support/rrsync as /usr/bin/rrsync)"
	exit 1
}
if ! id "$BACKUP_USER" >/dev/null 2>&1; then
	useradd --system --home-dir "$HOME_DIR" --no-create-home --shell /bin/sh "$BACKUP_USER"
	log "created user $BACKUP_USER"
	mark_changed
fi
# "*" (no password) rather than useradd's "!" (locked): sshd refuses a
# locked account even for a key; no password can ever match "*".
if [ "$(getent shadow "$BACKUP_USER" | cut -d: -f2)" != "*" ]; then
	usermod -p '*' "$BACKUP_USER"
	mark_changed
fi
# The home and its .ssh are root's: the user cannot change its own keys.
for d in "$HOME_DIR" "$HOME_DIR/.ssh" "$BACKUP_ROOT" "$BACKUP_ROOT/$CLUSTER"; do
	if [ ! -d "$d" ] || [ "$(stat -c '%U %a' "$d")" != "root 755" ]; then
		install -d -m 0755 -o root -g root "$d"
		mark_changed
	fi
done
install_staged
for node in $NODES; do
	d="$BACKUP_ROOT/$CLUSTER/$node"
	if [ ! -d "$d" ] || [ "$(stat -c '%U %a' "$d")" != "$BACKUP_USER 700" ]; then
		install -d -m 0700 -o "$BACKUP_USER" -g "$BACKUP_USER" "$d"
		log "prepared $d"
		mark_changed
	fi
done
# authorized_keys from its staged template and the servers' public keys on
# stdin ("<node> ssh-ed25519 <base64>" per line; public, but known only
# once the program has generated the keys).
keys="$(cat "$AUTHORIZED_KEYS_TEMPLATE")"
while read -r node type blob; do
	[ -n "${node:-}" ] || continue
	[[ "$type" = ssh-ed25519 && "$blob" =~ ^[A-Za-z0-9+/]+=*$ ]] || { log "error: stdin line for $node is not an ssh-ed25519 public key"; exit 1; }
	keys="${keys//"@PUBLIC_KEY:$node@"/"$type $blob"}"
done
if [[ "$keys" == *"@PUBLIC_KEY:"* ]]; then
	log "error: no public key on stdin for: $(grep -o '@PUBLIC_KEY:[^@]*@' <<<"$keys" | tr '\n' ' ')"
	exit 1
fi
ak="$HOME_DIR/.ssh/authorized_keys"
if [ ! -f "$ak" ] || [ "$(<"$ak")" != "$keys" ] || [ "$(stat -c '%U %a' "$ak")" != "root 644" ]; then
	record_file "$ak"
	tmp="$(mktemp "$ak.XXXXXX")"
	printf '%s\n' "$keys" >"$tmp"
	chmod 0644 "$tmp"
	mv -f "$tmp" "$ak"
	log "wrote $ak"
	mark_changed
fi
