# keepalived on a server: package, nonlocal bind, health check, and the
# conf written from the staged template plus the VRRP password read from
# stdin (the password is never in a staged file, the command text or argv).
family="$(os_family)"
if [ "$ACTION" = delete ]; then
	# Release the VIP first; remove_staged then puts the conf, the
	# sysctl and the unit's enabled/active state back as they were
	# (hosts set up before those records existed: disabled).
	if systemctl is-active --quiet keepalived; then
		systemctl stop keepalived
		mark_changed
	fi
	[ -e "$RESTORE_DIR/unit-keepalived" ] || ! systemctl is-enabled --quiet keepalived 2>/dev/null || systemctl disable keepalived >/dev/null 2>&1
	# The package goes too when this step installed it (switching to
	# kube-vip leaves no keepalived behind).
	installed=0
	[ -e "$RESTORE_DIR/package-installed" ] && installed=1
	restore_file "$CONF"
	remove_staged
	if [ "$installed" = 1 ] && command -v keepalived >/dev/null 2>&1; then
		case "$family" in
		debian) DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq keepalived >/dev/null ;;
		rhel) dnf remove -y -q keepalived ;;
		esac
		log "removed keepalived"
		mark_changed
	fi
	finish
	exit 0
fi
# Before the package (whose install may enable it): how the unit was.
record_unit keepalived
if ! command -v keepalived >/dev/null 2>&1; then
	case "$family" in
	debian)
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq
		apt-get install -y -qq --no-install-recommends keepalived >/dev/null ;;
	rhel) dnf install -y -q keepalived ;;
	*) log "error: unsupported OS ($family)"; exit 1 ;;
	esac
	log "installed keepalived"
	install -d -m 0700 "$RESTORE_DIR"
	: >"$RESTORE_DIR/package-installed"
	mark_changed
fi
install_staged
staged_changed "$DROP_IN" && systemctl daemon-reload
apply_sysctl_file "$SYSCTL_FILE"
pass=""
IFS= read -r pass || true
[[ "$pass" =~ ^[A-Za-z0-9]{1,8}$ ]] || { log "error: stdin must carry the VRRP password (1-8 letters or digits)"; exit 1; }
conf="$(<"$CONF_TEMPLATE")"
conf="${conf//@AUTH_PASS@/$pass}"
reload=0
if [ ! -f "$CONF" ] || [ "$(<"$CONF")" != "$conf" ]; then
	record_file "$CONF"
	tmp="$(mktemp "$CONF.XXXXXX")"
	printf '%s\n' "$conf" >"$tmp"
	chmod 0600 "$tmp"
	mv -f "$tmp" "$CONF"
	log "wrote $CONF"
	mark_changed
	reload=1
fi
staged_changed "$CHECK_SCRIPT" && reload=1
# The internal zone accepts VRRP on servers (components/host); say so if
# someone removed it, since the VIP would then be held by every server.
if systemctl is-active --quiet firewalld && ! firewall-cmd --zone=internal --query-rich-rule='rule protocol value="vrrp" accept' >/dev/null 2>&1; then
	log "warning: the firewalld internal zone does not accept VRRP; run the host firewall step"
fi
if ! systemctl is-enabled --quiet keepalived; then
	systemctl enable keepalived >/dev/null 2>&1
	mark_changed
fi
if ! systemctl is-active --quiet keepalived; then
	systemctl start keepalived
	log "started keepalived"
	mark_changed
elif [ "$reload" = 1 ]; then
	systemctl reload keepalived
	log "reloaded keepalived"
fi
