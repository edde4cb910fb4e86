# Runs on the first server for one agent, before the agent's k3s-service
# step restarts k3s for a new binary or config (RESTART_KEY is the agent's
# restart key; the step runs again only when it changes). Cordons the
# agent and drains it through the eviction API, which honours
# PodDisruptionBudgets, bounded by DRAIN_SECONDS. A drain that does not
# finish fails the step: the agent's restart and every later batch wait.
[ "$ACTION" = delete ] && { finish; exit 0; }
install -d -m 0700 "$K3S_STATE/drain"
done_key="$K3S_STATE/drain/$MEMBER.key"
cordoned="$K3S_STATE/drain/$MEMBER.cordoned"
if [ "$(cat "$done_key" 2>/dev/null || true)" = "$RESTART_KEY" ]; then
	finish
	exit 0
fi
if ! admin_kubectl get node "$MEMBER" >/dev/null 2>&1; then
	log "$MEMBER is not a node yet (first install); nothing to drain"
	finish
	exit 0
fi
# Uncordon later only what this step cordoned: a node an operator
# cordoned stays cordoned.
if [ ! -e "$cordoned" ] && [ "$(admin_kubectl get node "$MEMBER" -o jsonpath='{.spec.unschedulable}')" != true ]; then
	: >"$cordoned"
fi
if ! "$K3S_BIN" kubectl --kubeconfig "$ADMIN_KUBECONFIG" drain "$MEMBER" --ignore-daemonsets --delete-emptydir-data \
	--timeout="${DRAIN_SECONDS}s"; then
	log "error: $MEMBER (agent batch $BATCH), phase drain: not drained within ${DRAIN_SECONDS}s (k3s.upgrade.drainTimeout)." \
		"A PodDisruptionBudget allows no eviction now (kubectl get pdb -A) or a pod has no controller." \
		"The rollout stops here: $MEMBER stays cordoned on its old k3s, later batches are untouched." \
		"Fix the blocking pods and run pulumi up again."
	exit 1
fi
printf '%s\n' "$RESTART_KEY" >"$done_key"
log "drained $MEMBER (agent batch $BATCH)"
mark_changed
