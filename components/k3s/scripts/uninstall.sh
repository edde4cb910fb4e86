# uninstall_k3s: what is left of k3s on a node once its service step has
# stopped and removed the unit (the binary step's delete runs after it, the
# steps being deleted in reverse chain order): the container shims k3s
# leaves running (its unit kills only the main process), their mounts, the
# CNI links and kube-proxy/flannel rules, the data and config directories
# and the binary. A node removed from the stack is then as before k3s.
# A unit still installed means the node is not leaving (this step was
# replaced, not removed), so nothing is wiped.
K3S_DIRS=(/var/lib/rancher/k3s /etc/rancher/k3s /var/lib/kubelet /run/k3s /run/flannel)
K3S_MOUNT_ROOTS=(/run/k3s /var/lib/rancher/k3s /var/lib/kubelet /run/netns/cni-)
K3S_LINKS=(cni0 flannel.1 flannel-v6.1 flannel-wg flannel-wg-v6)

# k3s_pids: processes whose executable lies in k3s's data dir (the shims
# and anything else k3s unpacked and started).
k3s_pids() {
	local p exe
	for p in /proc/[0-9]*; do
		exe="$(readlink "$p/exe" 2>/dev/null)" || continue
		case $exe in /var/lib/rancher/k3s/data/*) echo "${p#/proc/}" ;; esac
	done
}

# k3s_mounts: mount points under K3S_MOUNT_ROOTS, deepest first.
k3s_mounts() {
	local root
	awk '{ print $5 }' /proc/self/mountinfo | while read -r m; do
		for root in "${K3S_MOUNT_ROOTS[@]}"; do
			case $m in "$root"*) echo "$m"; break ;; esac
		done
	done | awk '{ print length($0) "\t" $0 }' | sort -rn | cut -f2-
}

uninstall_k3s() {
	local unit pids m link d
	for unit in k3s.service k3s-agent.service; do
		if [ -e "/etc/systemd/system/$unit" ]; then
			log "$unit is still installed: the node stays in the cluster, nothing removed"
			return 0
		fi
	done
	pids="$(k3s_pids)"
	if [ -n "$pids" ]; then
		# shellcheck disable=SC2086 # one pid per word
		kill -TERM $pids 2>/dev/null || true
		for _ in $(seq 1 10); do
			[ -z "$(k3s_pids)" ] && break
			sleep 1
		done
		pids="$(k3s_pids)"
		# shellcheck disable=SC2086
		[ -z "$pids" ] || kill -KILL $pids 2>/dev/null || true
		log "stopped the processes k3s left running"
		mark_changed
	fi
	while read -r m; do
		[ -n "$m" ] || continue
		umount "$m" 2>/dev/null || umount -l "$m"
		log "unmounted $m"
		mark_changed
	done < <(k3s_mounts)
	for link in "${K3S_LINKS[@]}"; do
		if ip link show "$link" >/dev/null 2>&1; then
			ip link delete "$link"
			log "deleted link $link"
			mark_changed
		fi
	done
	# kube-proxy's and flannel's rules; everything else (firewalld's own
	# iptables rules on the iptables backend) is restored as it was.
	local save
	for save in iptables-save ip6tables-save; do
		command -v "$save" >/dev/null 2>&1 || continue
		if "$save" | grep -q -e KUBE- -e CNI- -e FLANNEL -e flannel; then
			"$save" | grep -v -e KUBE- -e CNI- -e FLANNEL -e flannel | "${save%-save}-restore"
			log "removed the KUBE-, CNI- and flannel rules ($save)"
			mark_changed
		fi
	done
	for d in "${K3S_DIRS[@]}"; do
		if [ -e "$d" ]; then
			rm -rf --one-file-system "$d"
			log "removed $d"
			mark_changed
		fi
	done
	rmdir /var/lib/rancher /etc/rancher 2>/dev/null || true
	if [ -e "$K3S_BIN" ]; then
		rm -f "$K3S_BIN"
		log "removed $K3S_BIN"
		mark_changed
	fi
	rm -f "$K3S_STATE/binary.sha256"
}
