# Installs the unit, starts k3s, and restarts it when RESTART_KEY (a hash of
# the binary, config and unit steps) differs from the last applied one.
# Restarts are --no-block and followed by a bounded health wait, so this
# step finishes only on a healthy node: the next node's steps depend on it,
# which makes upgrades roll one node at a time.
if [ "$ACTION" = delete ]; then
	if systemctl is-enabled --quiet "$UNIT" 2>/dev/null || systemctl is-active --quiet "$UNIT"; then
		systemctl disable --now "$UNIT"
		mark_changed
	fi
	remove_staged
	systemctl daemon-reload
	rm -f "$K3S_STATE/restart-key"
	finish
	exit 0
fi
install -d -m 0700 "$K3S_STATE"
install_staged
if staged_changed "$UNIT_PATH"; then
	systemctl daemon-reload
fi
if ! systemctl is-enabled --quiet "$UNIT"; then
	systemctl enable "$UNIT" >/dev/null 2>&1
	log "enabled $UNIT"
	mark_changed
fi
applied="$(cat "$K3S_STATE/restart-key" 2>/dev/null || true)"
if ! systemctl is-active --quiet "$UNIT"; then
	systemctl start --no-block "$UNIT"
	log "started $UNIT"
	mark_changed
elif [ "$applied" != "$RESTART_KEY" ]; then
	restart_unit "to apply ${RESTART_KEY} (was ${applied:-none})"
	mark_changed
fi
wait_node_healthy
if [ "$STEP_CHANGED" = 1 ]; then
	tighten_rancher
fi
printf '%s\n' "$RESTART_KEY" >"$K3S_STATE/restart-key"
