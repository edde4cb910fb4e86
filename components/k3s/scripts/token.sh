# Writes the join secrets from stdin: servers get the cluster and agent
# tokens, agents the agent token. Files are 0600 and root's.
#
# A server that already ran k3s keeps a token file whose token changed
# while the new generation is not applied: the new cluster token is only
# valid once k3s-token-rotate has rotated it, and the servers take up a new
# agent token one at a time (k3s-token-restart). Agents run after every
# server's restart, so they write theirs here; their own k3s-token-restart
# restarts them.
if [ "$ACTION" = delete ]; then
	for f in "$TOKEN_FILE" "$AGENT_TOKEN_FILE"; do
		[ -e "$f" ] && { rm -f "$f"; log "removed $f"; mark_changed; }
	done
	finish
	exit 0
fi
place_token() { # PATH VALUE KIND GENERATION
	local path="$1" value="$2" kind="$3" generation="${4:-0}"
	if [ "$ROLE" = server ] && [ -d "$K3S_AGENT_DIR" ] && [ -f "$path" ] && [ "$(<"$path")" != "$value" ] &&
		[ "$(applied_token_generation "$kind")" != "$generation" ]; then
		log "$path: $kind token generation $generation is written by k3s-token-restart"
		return 0
	fi
	write_secret "$path" "$value"
}
read_tokens
if [ "$ROLE" = server ]; then
	# Only servers get the generations (agents never wait): see step_token.go.
	place_token "$TOKEN_FILE" "$cluster_token" cluster "${CLUSTER_TOKEN_GENERATION:-0}"
	place_token "$AGENT_TOKEN_FILE" "$agent_token" agent "${AGENT_TOKEN_GENERATION:-0}"
else
	write_secret "$AGENT_TOKEN_FILE" "$agent_token"
fi
