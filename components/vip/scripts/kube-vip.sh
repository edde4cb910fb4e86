# kube-vip on a server: a static pod k3s's kubelet runs. It elects a leader
# through this server's API server (the admin kubeconfig), so the step runs
# after k3s is up here, and waits until the VIP answers.
if [ "$ACTION" = delete ]; then
	# The kubelet stops the pod when its manifest goes; kube-vip then
	# releases the lease and the VIP.
	restore_file "$MANIFEST"
	remove_staged
	finish
	exit 0
fi
[ -s "$KUBECONFIG_FILE" ] || { log "error: $KUBECONFIG_FILE is missing: k3s must run on this server before kube-vip"; exit 1; }
# Switching from keepalived: stop the program's keepalived before kube-vip
# may take the VIP, so two implementations never hold it at once. The
# keepalived step's own delete then removes its files and the package.
if grep -qs 'k3s-onprem' "$KEEPALIVED_CONF" && systemctl is-active --quiet keepalived; then
	systemctl disable --now keepalived >/dev/null 2>&1
	log "stopped keepalived: kube-vip holds the VIP now"
	mark_changed
fi
install_staged
# Any HTTP status over TLS verified with this cluster's CA means the VIP
# reaches one of this cluster's API servers.
deadline=$((SECONDS + WAIT_SECONDS))
until code="$(curl -sS -o /dev/null -w '%{http_code}' --max-time 3 --cacert "$SERVER_CA" "https://$VIP:$API_PORT/readyz" 2>/dev/null)" && [ "$code" != 000 ]; do
	if [ "$SECONDS" -ge "$deadline" ]; then
		log "error: the VIP $VIP:$API_PORT did not answer within ${WAIT_SECONDS}s; see the kube-vip pod's log (crictl logs)"
		exit 1
	fi
	sleep 2
done
log "the VIP $VIP:$API_PORT answers"
