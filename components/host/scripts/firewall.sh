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
# firewalld turns IPv4 forwarding on for a zone that masquerades (and the
# kernel then turns accept_redirects off) and never turns it back off: the
# step keeps the host's value to put back on delete, unless a persistent
# sysctl file (the kernel step's, for k3s) still asks for forwarding.
FORWARD_RECORD="$RESTORE_DIR/ip_forward"
if [ "$ACTION" = delete ]; then
	was_forward="$(cat "$FORWARD_RECORD" 2>/dev/null || true)"
	remove_staged
	if systemctl is-active -q firewalld; then firewall-cmd -q --reload; fi
	if [ -n "$was_forward" ] && [ "$(sysctl -n net.ipv4.ip_forward)" != "$was_forward" ] &&
		! grep -qsE '^[[:space:]]*net\.ipv4\.ip_forward[[:space:]]*=[[:space:]]*1' /etc/sysctl.conf /etc/sysctl.d/*.conf; then
		sysctl -q -w net.ipv4.ip_forward="$was_forward"
		log "sysctl net.ipv4.ip_forward=$was_forward (as before the step)"
		mark_changed
	fi
	finish
	exit 0
fi
if [ ! -f "$FORWARD_RECORD" ]; then
	install -d -m 0700 "$RESTORE_DIR"
	sysctl -n net.ipv4.ip_forward >"$FORWARD_RECORD"
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
