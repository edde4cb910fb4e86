# k3s's SELinux support (--selinux) only works where SELinux is enabled, so
# its config.yaml.d drop-in is installed there and removed elsewhere; the
# rendered config.yaml is the same on every host either way.
if [ "$ACTION" = delete ]; then
	remove_staged
	finish
	exit 0
fi
if command -v selinuxenabled >/dev/null 2>&1 && selinuxenabled; then
	install_staged
elif [ -e "$DROPIN" ]; then
	rm -f "$DROPIN"
	log "SELinux is not enabled here: removed $DROPIN"
	mark_changed
else
	log "SELinux is not enabled here: k3s runs without --selinux"
fi
