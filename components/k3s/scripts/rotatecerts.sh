# Renews this node's k3s certificates (rotation.certificates raised):
# stop k3s, `k3s certificate rotate` (backs up and removes every
# certificate but the CAs; k3s issues new ones on start), start, and wait
# until the node is healthy. It sits in the node's chain after its health
# gate, so servers rotate one at a time and before the agents. The
# generation is recorded, so a re-run changes nothing.
[ "$ACTION" = delete ] && { finish; exit 0; }
install -d -m 0700 "$K3S_STATE"
record="$K3S_STATE/certificates-generation"
if [ "$(cat "$record" 2>/dev/null || true)" = "$GENERATION" ]; then
	finish
	exit 0
fi
systemctl stop "$UNIT"
"$K3S_BIN" certificate rotate
log "rotated the certificates of $NODE_NAME (generation $GENERATION)"
systemctl start --no-block "$UNIT"
wait_node_healthy
tighten_rancher
printf '%s\n' "$GENERATION" >"$record"
mark_changed
