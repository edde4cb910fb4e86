# Health gate: this server's API is ready, its etcd member answers and the
# node is Ready. The next server joins only after this step, so etcd never
# has two members joining at once. It changes nothing on the host.
[ "$ACTION" = delete ] && { finish; exit 0; }
wait_for "$NODE_NAME: API ready, etcd member healthy, node Ready" "$WAIT_SECONDS" server_healthy
