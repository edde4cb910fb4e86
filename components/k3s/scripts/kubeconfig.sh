# Prints the admin kubeconfig as one base64 line (the program rewrites the
# server URL to the VIP and keeps it as a secret). Runs with logging off;
# waits until the VIP answers, since every client will use it.
[ "$ACTION" = delete ] && { finish; exit 0; }
wait_for "k3s answers on the VIP $VIP" "$WAIT_SECONDS" vip_answers
base64 -w0 "$ADMIN_KUBECONFIG"
echo
