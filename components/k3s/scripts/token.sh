# Writes the join secrets from stdin (never from command text, a unit or
# the environment): servers get the cluster and agent tokens, agents the
# agent token. Files are 0600 and root's.
write_secret() { # PATH VALUE
	local path="$1" value="$2" tmp
	if [ -f "$path" ] && [ "$(<"$path")" = "$value" ] && [ "$(stat -c %a "$path")" = 600 ]; then
		return 0
	fi
	install -d -m 0700 "$(dirname "$path")"
	tmp="$(mktemp "$path.XXXXXX")"
	printf '%s\n' "$value" >"$tmp"
	chmod 0600 "$tmp"
	mv -f "$tmp" "$path"
	log "wrote $path"
	mark_changed
}
if [ "$ACTION" = delete ]; then
	for f in "$TOKEN_FILE" "$AGENT_TOKEN_FILE"; do
		[ -e "$f" ] && { rm -f "$f"; log "removed $f"; mark_changed; }
	done
	finish
	exit 0
fi
first="" second=""
IFS= read -r first || true
IFS= read -r second || true
valid() { [[ "$1" =~ ^[A-Za-z0-9]{16,}$ ]]; }
if [ "$ROLE" = server ]; then
	valid "$first" && valid "$second" || { log "error: stdin must carry the cluster and agent tokens"; exit 1; }
	write_secret "$TOKEN_FILE" "$first"
	write_secret "$AGENT_TOKEN_FILE" "$second"
else
	valid "$first" || { log "error: stdin must carry the agent token"; exit 1; }
	write_secret "$AGENT_TOKEN_FILE" "$first"
fi
