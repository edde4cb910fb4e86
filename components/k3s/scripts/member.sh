# Runs on the first server for another node. Creating it records that the
# node is a member; deleting it (the node left the stack) drains the node
# and deletes its Node object, which also makes k3s remove a server's etcd
# member. It is deleted before the node's own k3s steps, which then stop
# and remove k3s on the node.
if [ "$ACTION" != delete ]; then
	finish
	exit 0
fi
if [ ! -x "$K3S_BIN" ] || ! admin_kubectl get node "$MEMBER" >/dev/null 2>&1; then
	log "node $MEMBER is not in the cluster; nothing to drain"
	finish
	exit 0
fi
"$K3S_BIN" kubectl --kubeconfig "$ADMIN_KUBECONFIG" drain "$MEMBER" --ignore-daemonsets --delete-emptydir-data \
	--force --timeout="${WAIT_SECONDS}s"
log "drained $MEMBER"
admin_kubectl delete node "$MEMBER" --wait=true
log "deleted node $MEMBER"
mark_changed
