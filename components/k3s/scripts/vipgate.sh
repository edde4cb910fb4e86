# VIP gate: agents join through the VIP, so they wait until a k3s server
# answers there (seen from the agent itself, which also proves the route
# and firewall between them).
[ "$ACTION" = delete ] && { finish; exit 0; }
wait_for "k3s answers on the VIP $VIP" "$WAIT_SECONDS" vip_answers
