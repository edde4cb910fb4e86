# Restarts k3s on one server after a secrets-encryption key rotation so it
# loads the new key, then waits until it is healthy; the servers' restart
# steps are chained, one server at a time. Recorded per generation.
[ "$ACTION" = delete ] && { finish; exit 0; }
install -d -m 0700 "$K3S_STATE"
record="$K3S_STATE/encryption-restart-generation"
if [ "$(cat "$record" 2>/dev/null || true)" = "$GENERATION" ]; then
	finish
	exit 0
fi
restart_unit "for the new encryption key (generation $GENERATION)"
wait_for "$NODE_NAME: API ready, etcd member healthy, node Ready" "$WAIT_SECONDS" server_healthy
tighten_rancher
printf '%s\n' "$GENERATION" >"$record"
mark_changed
