# Files-only step: install on apply, remove on delete, then an optional
# reload command for the daemon that reads them.
if [ "$ACTION" = delete ]; then
	remove_staged
else
	install_staged
fi
if [ -n "${RELOAD:-}" ] && [ "$STEP_CHANGED" = 1 ]; then
	eval "$RELOAD"
fi
