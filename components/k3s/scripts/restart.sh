# Restart helpers of the steps that restart k3s (service, etcd-s3,
# encrypt-restart, token-restart, rotate-certs). Kept out of common.sh,
# which is part of every restart key.

# restart_unit WHY: restart the unit without blocking and wait for its new
# process, so a health probe cannot be answered by the old one.
restart_unit() {
	local old_pid
	old_pid="$(systemctl show -p MainPID --value "$UNIT")"
	systemctl restart --no-block "$UNIT"
	log "restarting $UNIT $1"
	wait_for "$UNIT restarted" "$WAIT_SECONDS" unit_pid_other_than "$old_pid"
}
unit_pid_other_than() {
	local p
	p="$(systemctl show -p MainPID --value "$UNIT")"
	[ "$p" != 0 ] && [ "$p" != "$1" ]
}

# wait_node_healthy: the health gate of this node's role.
wait_node_healthy() {
	if [ "$ROLE" = server ]; then
		wait_for "$NODE_NAME: API ready, etcd member healthy, node Ready" "$WAIT_SECONDS" server_healthy
	else
		wait_for "$NODE_NAME: kubelet healthy, node Ready" "$WAIT_SECONDS" agent_healthy
	fi
}
