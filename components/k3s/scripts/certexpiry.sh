# Prints when this server's API serving certificate expires (its notAfter,
# RFC 3339, UTC) for the k3sServingCertExpiry stack output, and logs the
# days left. It runs again whenever k3s restarts through the program
# (RESTART_KEY) or the certificates are rotated (GENERATION), which is
# when k3s renews certificates (on start, within 90 days of expiry).
[ "$ACTION" = delete ] && { finish; exit 0; }
wait_for "$CERT exists" "$WAIT_SECONDS" test -s "$CERT"
not_after="$(openssl x509 -noout -enddate -in "$CERT" | cut -d= -f2)"
epoch="$(date -u -d "$not_after" +%s)"
date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ
log "$NODE_NAME: $CERT expires in $(((epoch - $(date -u +%s)) / 86400)) days ($not_after)"
