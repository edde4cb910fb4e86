# Installs the pinned kube-bench release (archive checked against a pinned
# sha256 or the release's checksums file; air-gapped: the uploaded archive
# against its pinned sha256), runs the k3s benchmark for this node's role
# and prints the JSON report between markers for the program to read. The
# report stays on the node (root-only) at $REPORT.
# K3S_FINGERPRINT is not read: it is the node's k3s rendering, so a k3s
# change re-runs the benchmark.
if [ "$ACTION" = delete ]; then
	rm -rf "$INSTALL_DIR"
	log "removed $INSTALL_DIR"
	finish
	exit 0
fi
install -d -m 0700 "$INSTALL_DIR"
release_dir="$INSTALL_DIR/$VERSION"
stamp="$release_dir/archive.sha256"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
unpack() { # ARCHIVE SHA
	rm -rf "$release_dir.new"
	install -d -m 0700 "$release_dir.new"
	tar -xzf "$1" -C "$release_dir.new"
	[ -x "$release_dir.new/kube-bench" ] && [ -f "$release_dir.new/cfg/config.yaml" ] ||
		{ log "error: the archive holds no kube-bench binary and cfg/config.yaml"; exit 1; }
	printf '%s\n' "$2" >"$release_dir.new/archive.sha256"
	rm -rf "$release_dir"
	mv "$release_dir.new" "$release_dir"
	log "installed kube-bench $VERSION ($2)"
	mark_changed
}
want="$ARCHIVE_SHA256"
if [ ! -f "$stamp" ] || { [ -n "$want" ] && [ "$(<"$stamp")" != "$want" ]; }; then
	if [ "$AIRGAP" = 1 ]; then
		src="$STEP_DIR/upload-$ASSET"
	else
		src="$tmp/$ASSET"
		fetch() { curl -fsSL --proto '=https' --tlsv1.2 --retry 3 -o "$1" "$2"; }
		fetch "$src" "$RELEASE_URL/$VERSION/$ASSET"
		if [ -z "$want" ]; then
			fetch "$tmp/checksums.txt" "$RELEASE_URL/$VERSION/$CHECKSUMS"
			want="$(awk -v f="$ASSET" '$2 == f {print $1}' "$tmp/checksums.txt")"
			[ -n "$want" ] || { log "error: $CHECKSUMS lists no $ASSET"; exit 1; }
		fi
	fi
	got="$(sha256sum "$src" | cut -d' ' -f1)"
	[ "$got" = "$want" ] || { log "error: $ASSET has sha256 $got, want $want"; exit 1; }
	unpack "$src" "$got"
fi
# kube-bench's policies checks call kubectl; k3s is kubectl when invoked
# under that name. The shim lives only for this run.
install -d -m 0700 "$tmp/bin"
ln -s "$K3S_BIN" "$tmp/bin/kubectl"
export PATH="$tmp/bin:$PATH"
[ -n "$KUBECONFIG_PATH" ] && export KUBECONFIG="$KUBECONFIG_PATH"
"$release_dir/kube-bench" run --config-dir "$release_dir/cfg" --config "$release_dir/cfg/config.yaml" \
	--benchmark "$BENCHMARK" --targets "$TARGETS" --json --outputfile "$tmp/report.json" >/dev/null
install -m 0600 "$tmp/report.json" "$REPORT"
log "kube-bench $VERSION $BENCHMARK ($TARGETS): report in $REPORT"
echo "$REPORT_BEGIN"
cat "$REPORT"
echo
echo "$REPORT_END"
