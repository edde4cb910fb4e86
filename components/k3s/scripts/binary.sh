# Installs the pinned k3s binary, checksum-verified: downloaded from the
# release (checked against its sha256sum-<arch>.txt) or, air-gapped, copied
# from the operator's machine (checked against k3s.airgap.binarySha256).
# Never a piped install script. The running service keeps the old binary
# until the k3s-service step restarts it behind the health gate.
if [ "$ACTION" = delete ]; then
	uninstall_k3s
	finish
	exit 0
fi
install -d -m 0700 "$K3S_STATE"
stamp="$K3S_STATE/binary.sha256"
# Upgrade path, checked against what this node runs before anything is
# replaced: never back, and one minor at a time (the validation's
# k3s.previousVersion check, here without relying on the operator).
release_parts() { # TAG: prints "minor patch build" of v1.M.P[-rcN]+k3sB
	[[ "$1" =~ ^v1\.([0-9]+)\.([0-9]+)(-rc[0-9]+)?\+k3s([0-9]+)$ ]] || return 1
	echo "${BASH_REMATCH[1]} ${BASH_REMATCH[2]} ${BASH_REMATCH[4]}"
}
installed_version="$([ -x "$K3S_BIN" ] && "$K3S_BIN" --version 2>/dev/null | awk 'NR==1 {print $3}' || true)"
if [ -n "$installed_version" ] && [ "$installed_version" != "$VERSION" ]; then
	if have="$(release_parts "$installed_version")" && want="$(release_parts "$VERSION")"; then
		read -r have_minor have_patch have_build <<<"$have"
		read -r want_minor want_patch want_build <<<"$want"
		if ((want_minor < have_minor || (want_minor == have_minor && (want_patch < have_patch ||
			(want_patch == have_patch && want_build < have_build))))); then
			log "error: $NODE_NAME runs k3s $installed_version; k3s.version $VERSION is older and downgrades are not supported: set k3s.version to $installed_version or newer"
			exit 1
		fi
		if ((want_minor > have_minor + 1)); then
			log "error: $NODE_NAME runs k3s $installed_version; k3s.version $VERSION skips a minor (k3s upgrades one minor at a time): set k3s.version to the newest v1.$((have_minor + 1)).x first, run pulumi up, then go on"
			exit 1
		fi
	fi
fi
installed_sha() { [ -x "$K3S_BIN" ] && sha256sum "$K3S_BIN" | cut -d' ' -f1; }
check_version() { # BINARY: it reports the pinned version
	local v
	chmod 0700 "$1"
	v="$("$1" --version 2>/dev/null | awk 'NR==1 {print $3}')"
	[ "$v" = "$VERSION" ] || { log "error: $1 is k3s ${v:-unknown}, want $VERSION"; exit 1; }
}
install_binary() { # SOURCE SHA
	install -m 0755 -o root -g root "$1" "$K3S_BIN.new"
	mv -f "$K3S_BIN.new" "$K3S_BIN"
	printf '%s\n' "$2" >"$stamp"
	log "installed k3s $VERSION ($2)"
	mark_changed
}
if [ "$AIRGAP" = 1 ]; then
	if [ "$(installed_sha)" != "$BINARY_SHA256" ]; then
		src="$STEP_DIR/upload-k3s"
		got="$(sha256sum "$src" | cut -d' ' -f1)"
		[ "$got" = "$BINARY_SHA256" ] || { log "error: $src has sha256 $got, want $BINARY_SHA256"; exit 1; }
		check_version "$src"
		install_binary "$src" "$got"
	fi
	if [ -n "${IMAGES_NAME:-}" ]; then
		src="$STEP_DIR/upload-$IMAGES_NAME" dst="$AIRGAP_IMAGES_DIR/$IMAGES_NAME"
		if [ ! -f "$dst" ] || [ "$(sha256sum "$dst" | cut -d' ' -f1)" != "$IMAGES_SHA256" ]; then
			got="$(sha256sum "$src" | cut -d' ' -f1)"
			[ "$got" = "$IMAGES_SHA256" ] || { log "error: $src has sha256 $got, want $IMAGES_SHA256"; exit 1; }
			install -D -m 0600 "$src" "$dst"
			log "installed airgap images $dst"
			mark_changed
		fi
	fi
	finish
	exit 0
fi
# Downloaded: the stamp holds the checksum verified at install time, so a
# binary changed behind our back (or a different version) is replaced.
current="$([ -x "$K3S_BIN" ] && "$K3S_BIN" --version 2>/dev/null | awk 'NR==1 {print $3}' || true)"
if [ "$current" = "$VERSION" ] && [ -f "$stamp" ] && [ "$(installed_sha)" = "$(<"$stamp")" ]; then
	finish
	exit 0
fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
fetch() { curl -fsSL --proto '=https' --tlsv1.2 --retry 3 -o "$1" "$2"; }
fetch "$tmp/$ARTIFACT" "$RELEASE_URL/$VERSION/$ARTIFACT"
got="$(sha256sum "$tmp/$ARTIFACT" | cut -d' ' -f1)"
if [ "$VERIFY_CHECKSUM" = 1 ]; then
	fetch "$tmp/sha256sum.txt" "$RELEASE_URL/$VERSION/sha256sum-$ARCH.txt"
	want="$(awk -v f="$ARTIFACT" '$2 == f {print $1}' "$tmp/sha256sum.txt")"
	[ -n "$want" ] || { log "error: sha256sum-$ARCH.txt lists no $ARTIFACT"; exit 1; }
	[ "$got" = "$want" ] || { log "error: $ARTIFACT has sha256 $got, the release says $want"; exit 1; }
else
	log "warning: k3s.verifyChecksum is off; installing an unverified binary"
fi
check_version "$tmp/$ARTIFACT"
install_binary "$tmp/$ARTIFACT" "$got"
