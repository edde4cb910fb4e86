# Rotates the secrets-encryption key (rotation.secretsEncryption raised)
# on the first server once every server is healthy: `k3s secrets-encrypt
# rotate-keys` adds a new key, makes it primary and re-encrypts every
# Secret; the step waits until k3s reports reencrypt_finished. The
# k3s-encrypt-restart steps then restart each server, one at a time, so
# all of them load the new key (docs.k3s.io/cli/secrets-encrypt).
[ "$ACTION" = delete ] && { finish; exit 0; }
install -d -m 0700 "$K3S_STATE"
record="$K3S_STATE/encryption-generation"
if [ "$(cat "$record" 2>/dev/null || true)" = "$GENERATION" ]; then
	finish
	exit 0
fi
encryption_status() { "$K3S_BIN" secrets-encrypt status 2>/dev/null; }
reencrypted() {
	local s
	s="$(encryption_status)" || return 1
	grep -q 'Current Rotation Stage: reencrypt_finished' <<<"$s" && grep -q 'All hashes match' <<<"$s"
}
encryption_status | grep -q 'Encryption Status: Enabled' || {
	log "error: $NODE_NAME: secrets encryption is not enabled; k3s cannot rotate its key"
	exit 1
}
"$K3S_BIN" secrets-encrypt rotate-keys >/dev/null
log "rotate-keys started on $NODE_NAME (generation $GENERATION)"
wait_for "$NODE_NAME: every Secret re-encrypted with the new key" "$WAIT_SECONDS" reencrypted
printf '%s\n' "$GENERATION" >"$record"
mark_changed
