# k3s-onprem k3s helpers (prepended to every k3s step after lib.sh).
K3S_BIN=/usr/local/bin/k3s
ADMIN_KUBECONFIG=/etc/rancher/k3s/k3s.yaml
KUBELET_KUBECONFIG=/var/lib/rancher/k3s/agent/kubelet.kubeconfig
K3S_STATE=/var/lib/k3s-onprem/k3s

# wait_for DESCRIPTION SECONDS COMMAND...: polls COMMAND every 2 s until it
# succeeds; fails once the deadline passes, so a broken node stops the chain
# instead of hanging it.
wait_for() {
	local what="$1" seconds="$2" deadline
	shift 2
	deadline=$((SECONDS + seconds))
	until "$@"; do
		if [ "$SECONDS" -ge "$deadline" ]; then
			log "error: $what: not reached within ${seconds}s"
			return 1
		fi
		sleep 2
	done
	log "$what"
}

admin_kubectl() { "$K3S_BIN" kubectl --kubeconfig "$ADMIN_KUBECONFIG" --request-timeout=5s "$@"; }

node_ready_with() { # KUBECONFIG: the node's Ready condition is True
	[ -f "$1" ] || return 1
	[ "$("$K3S_BIN" kubectl --kubeconfig "$1" --request-timeout=5s get node "$NODE_NAME" \
		-o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" = True ]
}

# server_healthy: the local API server is ready, its etcd member answers,
# and this node is Ready.
server_healthy() {
	[ -f "$ADMIN_KUBECONFIG" ] || return 1
	[ "$(admin_kubectl get --raw /readyz 2>/dev/null)" = ok ] || return 1
	[ "$(admin_kubectl get --raw /readyz/etcd 2>/dev/null)" = ok ] || return 1
	node_ready_with "$ADMIN_KUBECONFIG"
}

# agent_healthy: the kubelet answers and the node is Ready (read with the
# node's own credentials, which the Node authorizer allows for itself).
agent_healthy() {
	curl -sf --max-time 3 http://127.0.0.1:10248/healthz >/dev/null 2>&1 || return 1
	node_ready_with "$KUBELET_KUBECONFIG"
}

# vip_answers: a k3s supervisor answers on the VIP (/cacerts needs no
# credentials; keepalived only holds the VIP on a server whose API is ready).
vip_answers() {
	curl -sk --max-time 3 "https://$VIP:6443/cacerts" 2>/dev/null | grep -q 'BEGIN CERTIFICATE'
}

# tighten_rancher: CIS 1.1.x, no group or other access under /etc/rancher
# and /var/lib/rancher (the blog's `chmod go=`), skipping containerd's tree
# (image layers and container roots keep their modes), local-path volumes
# (pods own them) and symlinks (chmod would follow them). k3s recreates
# some files on start, so the service step calls this after every restart.
rancher_loose() {
	find /etc/rancher /var/lib/rancher \( -path '*containerd*' -o -path /var/lib/rancher/k3s/storage \) -prune \
		-o ! -type l -perm /go=rwx "$@" 2>/dev/null
}
tighten_rancher() {
	local n
	n="$(rancher_loose -print | wc -l)"
	[ "$n" -gt 0 ] || return 0
	# Files k3s removes meanwhile make chmod fail; the next run catches the rest.
	rancher_loose -exec chmod go= {} + || true
	log "chmod go= on $n paths under /etc/rancher and /var/lib/rancher"
	mark_changed
}
