# Runs on the first server for one agent after its k3s restarted and the
# node is Ready again: makes it schedulable if the drain step cordoned it.
[ "$ACTION" = delete ] && { finish; exit 0; }
cordoned="$K3S_STATE/drain/$MEMBER.cordoned"
if [ -e "$cordoned" ]; then
	admin_kubectl uncordon "$MEMBER" >/dev/null
	rm -f "$cordoned"
	log "uncordoned $MEMBER (agent batch $BATCH)"
	mark_changed
fi
