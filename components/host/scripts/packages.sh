# Installs the packages k3s and the host steps need, only those missing.
family="$(os_family)"
if [ "$ACTION" = delete ]; then
	log "packages are left installed (other software may depend on them)"
	finish
	exit 0
fi
case "$family" in
debian)
	missing=()
	for p in $DEBIAN_PACKAGES; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
	done
	if [ "${#missing[@]}" -gt 0 ]; then
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq
		apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
		log "installed ${missing[*]}"
		mark_changed
	fi
	;;
rhel)
	missing=()
	for p in $RHEL_PACKAGES; do
		rpm -q "$p" >/dev/null 2>&1 || missing+=("$p")
	done
	if [ "${#missing[@]}" -gt 0 ]; then
		dnf install -y -q "${missing[@]}"
		log "installed ${missing[*]}"
		mark_changed
	fi
	;;
*)
	log "error: unsupported OS ($family); supported: RHEL-family 8/9, Debian, Ubuntu"
	exit 1
	;;
esac
