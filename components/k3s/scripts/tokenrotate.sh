# Rotates the server token (rotation.clusterToken raised) on the first
# server once every server is healthy, the request `k3s token rotate`
# sends: PUT {"newToken": ...} to the supervisor as user "server" with the
# current password (read from the server's own token file), over TLS
# checked against the server CA. k3s then re-encrypts its bootstrap data
# with the new token and rewrites its token file. The new token arrives on
# stdin and reaches curl on its stdin, never as an argument. The
# k3s-token-restart steps then give every server the new token file and
# restart it, one at a time. Snapshots taken before need the old token to
# restore; it is kept root-only beside the generation record.
[ "$ACTION" = delete ] && { finish; exit 0; }
install -d -m 0700 "$K3S_STATE"
record="$K3S_STATE/cluster-token-rotated-generation"
if [ "$(cat "$record" 2>/dev/null || true)" = "$GENERATION" ]; then
	finish
	exit 0
fi
new_token=""
IFS= read -r new_token || true
[[ "$new_token" =~ ^[A-Za-z0-9]{16,}$ ]] || { log "error: stdin must carry the new cluster token"; exit 1; }
# <data-dir>/server/token is K10<CA hash>::server:<password>.
server_password() {
	local t
	t="$(<"$SERVER_TOKEN")" || return 1
	printf '%s' "${t##*::"$ROTATE_USER":}"
}
current="$(server_password)" || { log "error: $NODE_NAME: no $SERVER_TOKEN; k3s has not bootstrapped here"; exit 1; }
if [ "$current" != "$new_token" ]; then
	old_copy="$K3S_STATE/cluster-token-before-generation-$GENERATION"
	(umask 077 && printf '%s\n' "$current" >"$old_copy")
	# curl reads its options from stdin: printf is a shell builtin, so
	# neither token appears in a process's arguments or environment.
	if ! response="$(printf 'user = "%s:%s"\ndata-binary = "{\\"%s\\":\\"%s\\"}"\n' \
		"$ROTATE_USER" "$current" "$ROTATE_FIELD" "$new_token" |
		curl -sS --max-time 60 --config - --cacert "$SERVER_CA" -X "$ROTATE_METHOD" \
			-H 'Content-Type: application/json' -w '\n%{http_code}' "$ROTATE_URL" 2>&1)"; then
		log "error: $NODE_NAME: the token rotation request failed: $response"
		exit 1
	fi
	code="${response##*$'\n'}"
	[ "$code" = 200 ] || { log "error: $NODE_NAME: k3s refused the token rotation (HTTP $code): ${response%$'\n'*}"; exit 1; }
	rotated() { [ "$(server_password)" = "$new_token" ]; }
	wait_for "$NODE_NAME: k3s holds the new server token" "$WAIT_SECONDS" rotated
	log "rotated the server token on $NODE_NAME (generation $GENERATION); the previous one is in $old_copy for older snapshots"
	mark_changed
fi
printf '%s\n' "$GENERATION" >"$record"
