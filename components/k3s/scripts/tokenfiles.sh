# Join-token helpers of the token and token-restart steps. Tokens arrive
# on stdin only (never in command text, a unit or the environment).

# write_secret PATH VALUE: PATH holds VALUE, 0600 and root's.
write_secret() {
	local path="$1" value="$2" tmp
	if same_secret "$path" "$value"; then
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
same_secret() { [ -f "$1" ] && [ "$(<"$1")" = "$2" ] && [ "$(stat -c %a "$1")" = 600 ]; }

# read_tokens: servers read the cluster and agent tokens, agents the agent
# token, into cluster_token and agent_token.
cluster_token="" agent_token=""
read_tokens() {
	local first="" second=""
	IFS= read -r first || true
	IFS= read -r second || true
	if [ "$ROLE" = server ]; then
		valid_token "$first" && valid_token "$second" || { log "error: stdin must carry the cluster and agent tokens"; exit 1; }
		cluster_token="$first" agent_token="$second"
	else
		valid_token "$first" || { log "error: stdin must carry the agent token"; exit 1; }
		agent_token="$first"
	fi
}
valid_token() { [[ "$1" =~ ^[A-Za-z0-9]{16,}$ ]]; }

# Generations the token-restart step applied, per token kind (cluster,
# agent); 0 before any rotation.
token_generation_file() { printf '%s/%s-token-generation' "$K3S_STATE" "$1"; }
applied_token_generation() { cat "$(token_generation_file "$1")" 2>/dev/null || echo 0; }
