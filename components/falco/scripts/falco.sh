# Falco on the host: the falcosecurity package at a pinned version with the
# modern eBPF driver, its configuration drop-ins and the project's rules.
FALCO_UNIT=falco-modern-bpf.service
DEB_KEYRING=/usr/share/keyrings/falco-archive-keyring.gpg
RPM_KEY=/etc/pki/rpm-gpg/RPM-GPG-KEY-falcosecurity
K3S_SOCKET=/run/k3s/containerd/containerd.sock
ARTIFACT_MARKER=/var/lib/k3s-onprem/falco-artifacts

if [ "$ACTION" = delete ]; then
	systemctl disable --now "$FALCO_UNIT" 2>/dev/null || true
	remove_staged
	systemctl daemon-reload
	finish
	exit 0
fi

# key_fingerprint FILE prints the primary key fingerprint of a key file
# (armored or binary).
key_fingerprint() {
	gpg --batch --show-keys --with-colons "$1" 2>/dev/null | awk -F: '$1 == "fpr" { print $10; exit }'
}

# fetch_key DEST downloads the signing key and installs it only when its
# fingerprint is the pinned one: a swapped key on the server (or a
# man-in-the-middle) stops the step instead of being trusted.
fetch_key() {
	local dest="$1" tmp fpr
	tmp="$(mktemp -d)"
	curl -fsSL --retry 3 -o "$tmp/key.asc" "$FALCO_KEY_URL"
	fpr="$(key_fingerprint "$tmp/key.asc")"
	if [ "$fpr" != "$FALCO_KEY_FINGERPRINT" ]; then
		rm -rf "$tmp"
		log "error: $FALCO_KEY_URL has fingerprint '${fpr:-none}', want $FALCO_KEY_FINGERPRINT"
		return 1
	fi
	case "$dest" in
	*.gpg) gpg --batch --yes --dearmor -o "$dest" "$tmp/key.asc" ;;
	*) install -D -m 0644 "$tmp/key.asc" "$dest" ;;
	esac
	chmod 0644 "$dest"
	rm -rf "$tmp"
	log "installed falcosecurity key $fpr"
	mark_changed
}

ensure_key() {
	if [ ! -s "$1" ] || [ "$(key_fingerprint "$1")" != "$FALCO_KEY_FINGERPRINT" ]; then
		fetch_key "$1"
	fi
}

# The package's install script reads these: no dialog, the modern eBPF
# unit, and no falcoctl auto-follow (rules stay at the pinned release).
export FALCO_FRONTEND=noninteractive FALCO_DRIVER_CHOICE=modern_ebpf FALCOCTL_ENABLED=no

install_debian() {
	command -v gpg >/dev/null || { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gpg >/dev/null; mark_changed; }
	ensure_key "$DEB_KEYRING"
	local list=/etc/apt/sources.list.d/falcosecurity.list
	local want="deb [signed-by=$DEB_KEYRING] $FALCO_DEB_REPO stable main"
	if [ "$(cat "$list" 2>/dev/null)" != "$want" ]; then
		printf '%s\n' "$want" >"$list"
		chmod 0644 "$list"
		mark_changed
	fi
	local have
	have="$(dpkg-query -W -f='${Version}' falco 2>/dev/null || true)"
	if [ "$have" != "$FALCO_VERSION" ]; then
		apt-get update -qq
		apt-mark unhold falco >/dev/null 2>&1 || true
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --allow-downgrades \
			-o Dpkg::Options::=--force-confold "falco=$FALCO_VERSION" >/dev/null
		log "falco ${have:-none} -> $FALCO_VERSION"
		mark_changed
	fi
	# Pinned: unattended upgrades must not move it behind the stack's back.
	apt-mark hold falco >/dev/null
}

install_rhel() {
	ensure_key "$RPM_KEY"
	rpm --import "$RPM_KEY"
	local repo=/etc/yum.repos.d/falcosecurity.repo want
	want="$(printf '[falcosecurity]\nname=falcosecurity packages\nbaseurl=%s\nenabled=1\ngpgcheck=1\ngpgkey=file://%s\n' "$FALCO_RPM_REPO" "$RPM_KEY")"
	if [ "$(cat "$repo" 2>/dev/null)" != "$want" ]; then
		printf '%s\n' "$want" >"$repo"
		chmod 0644 "$repo"
		mark_changed
	fi
	local have
	have="$(rpm -q --qf '%{VERSION}' falco 2>/dev/null || true)"
	if [ "$have" != "$FALCO_VERSION" ]; then
		dnf -y -q install "falco-$FALCO_VERSION" || dnf -y -q downgrade "falco-$FALCO_VERSION"
		log "falco ${have:-none} -> $FALCO_VERSION"
		mark_changed
	fi
}

# install_artifacts installs the pinned falcoctl references: the incubating
# and sandbox rule files everywhere, and on servers the k8saudit plugin, its
# ruleset and the json plugin, with the packaged falcoctl.
install_artifacts() {
	[ -n "${FALCO_ARTIFACTS:-}" ] || return 0
	if [ "$(cat "$ARTIFACT_MARKER" 2>/dev/null)" = "$FALCO_ARTIFACTS" ]; then
		return 0
	fi
	# shellcheck disable=SC2086 # a list of references
	falcoctl artifact install $FALCO_ARTIFACTS \
		--plugins-dir /usr/share/falco/plugins --rulesfiles-dir /etc/falco
	install -D -m 0644 /dev/null "$ARTIFACT_MARKER"
	printf '%s' "$FALCO_ARTIFACTS" >"$ARTIFACT_MARKER"
	log "installed $FALCO_ARTIFACTS"
	mark_changed
}

if in_container; then
	# The modern eBPF driver needs the host kernel; a container (the lab's
	# hosts) can hold the configuration but not run Falco.
	install_staged
	log "warning: inside a container; Falco's package and service are left to the real host"
	finish
	exit 0
fi

case "$(os_family)" in
debian) install_debian ;;
rhel) install_rhel ;;
*) log "error: unsupported OS $(os_family)"; exit 1 ;;
esac
install_artifacts
install_staged
systemctl daemon-reload
systemctl enable "$FALCO_UNIT" >/dev/null 2>&1
# Rule updates come from this stack, pinned, not from a weekly download.
if systemctl list-unit-files falcoctl-artifact-follow.service >/dev/null 2>&1; then
	systemctl disable --now falcoctl-artifact-follow.service >/dev/null 2>&1 || true
	systemctl mask falcoctl-artifact-follow.service >/dev/null 2>&1 || true
fi

if [ "$STEP_CHANGED" = 1 ]; then
	systemctl restart "$FALCO_UNIT"
	log "restarted $FALCO_UNIT"
elif ! systemctl is-active --quiet "$FALCO_UNIT"; then
	systemctl start "$FALCO_UNIT"
	log "started $FALCO_UNIT"
	mark_changed
elif [ -S "$K3S_SOCKET" ]; then
	# The container plugin connects to the CRI socket when Falco starts; a
	# Falco older than k3s's containerd has no pod names until restarted.
	started="$(systemctl show -P ActiveEnterTimestamp "$FALCO_UNIT")"
	if [ -n "$started" ] && [ "$(stat -c %Y "$K3S_SOCKET")" -gt "$(date -d "$started" +%s)" ]; then
		systemctl restart "$FALCO_UNIT"
		log "restarted $FALCO_UNIT: k3s's containerd is newer than Falco"
		mark_changed
	fi
fi
systemctl is-active --quiet "$FALCO_UNIT" || { log "error: $FALCO_UNIT is not active"; exit 1; }
