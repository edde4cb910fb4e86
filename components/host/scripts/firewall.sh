# firewalld zones as whole zone files: the internal zone carries the cluster
# port matrix, the public zone (two-network nodes) only 80/443 (+6443).
# Deleting the zone files falls back to the distribution's zone defaults.
ensure_running() {
	if ! systemctl is-active -q firewalld; then
		systemctl enable --now firewalld
		log "started firewalld"
		mark_changed
	fi
}
if [ "$ACTION" = delete ]; then
	remove_staged
	if systemctl is-active -q firewalld; then firewall-cmd -q --reload; fi
	finish
	exit 0
fi
if [ "${FIREWALL_BACKEND_IPTABLES:-0}" = 1 ] && grep -q '^FirewallBackend=nftables' /etc/firewalld/firewalld.conf; then
	sed -i 's/^FirewallBackend=nftables/FirewallBackend=iptables/' /etc/firewalld/firewalld.conf
	log "switched firewalld backend to iptables; rebooting as allowed by hardening.allowReboot"
	mark_changed
	systemd-run --on-active=5 systemctl reboot
fi
install_staged
ensure_running
if staged_changed /etc/firewalld/zones/internal.xml /etc/firewalld/zones/public.xml; then
	firewall-cmd -q --reload
	log "reloaded firewalld"
fi
# Interfaces owned by NetworkManager keep NM's zone over the zone file;
# bind them explicitly so the runtime matches the files.
for pair in $ZONE_INTERFACES; do
	zone="${pair%%=*}" iface="${pair#*=}"
	if [ "$(firewall-cmd --get-zone-of-interface="$iface" 2>/dev/null || true)" != "$zone" ]; then
		firewall-cmd -q --zone="$zone" --change-interface="$iface"
		firewall-cmd -q --permanent --zone="$zone" --change-interface="$iface"
		log "bound $iface to zone $zone"
		mark_changed
	fi
done
