# Places config.yaml and, on servers, the admission and audit policy files
# the API server flags point at (they must exist before k3s starts). The
# k3s-service step restarts k3s when any of them changed.
if [ "$ACTION" = delete ]; then
	remove_staged
	finish
	exit 0
fi
install_staged
if [ "$ROLE" = server ] && [ ! -d /var/lib/rancher/k3s/server/logs ]; then
	install -d -m 0700 /var/lib/rancher/k3s/server/logs
	log "created the audit log directory"
	mark_changed
fi
