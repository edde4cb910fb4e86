# Gives this node the join tokens of the current generations (on servers
# after k3s-token-rotate, one server at a time; on agents after every
# server) and restarts k3s if its running process started before a token
# file last changed, so it authenticates with the new token; then waits
# until the node is healthy. The applied generations are recorded, which
# lets the token step write later changes of the same generation itself.
[ "$ACTION" = delete ] && { finish; exit 0; }
install -d -m 0700 "$K3S_STATE"
read_tokens
files=("$AGENT_TOKEN_FILE")
[ "$ROLE" = server ] && files+=("$TOKEN_FILE")
[ "$ROLE" = server ] && write_secret "$TOKEN_FILE" "$cluster_token"
write_secret "$AGENT_TOKEN_FILE" "$agent_token"
# started_before_tokens: the unit runs no process, or it started no later
# than a token file's last change (same second counts: restart).
started_before_tokens() {
	local started f
	[ "$(systemctl show -p MainPID --value "$UNIT")" != 0 ] || return 0
	started="$(date -d "$(systemctl show -p ExecMainStartTimestamp --value "$UNIT")" +%s)" || return 0
	for f in "${files[@]}"; do
		[ "$(stat -c %Y "$f")" -lt "$started" ] || return 0
	done
	return 1
}
if started_before_tokens; then
	restart_unit "for the new token files (generations: cluster ${CLUSTER_TOKEN_GENERATION:-n/a}, agent $AGENT_TOKEN_GENERATION)"
	wait_node_healthy
	tighten_rancher
	mark_changed
fi
for kind in cluster agent; do
	var="${kind^^}_TOKEN_GENERATION"
	[ -n "${!var-}" ] || continue # agents hold no cluster token
	if [ "$(applied_token_generation "$kind")" != "${!var}" ]; then
		printf '%s\n' "${!var}" >"$(token_generation_file "$kind")"
		mark_changed
	fi
done
