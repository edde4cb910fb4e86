# CIS 6.1 file permissions: strips group/other access the distribution may
# have granted. Not reverted on delete (loosening permissions is never safe).
[ "$ACTION" = delete ] && { finish; exit 0; }
tighten() { # tighten MODE-SPEC PATH...: chmod only when the mode changes
	local spec="$1" p before
	shift
	for p in "$@"; do
		[ -e "$p" ] || continue
		before="$(stat -c %a "$p")"
		chmod "$spec" "$p"
		if [ "$(stat -c %a "$p")" != "$before" ]; then
			log "chmod $spec $p"
			mark_changed
		fi
	done
}
tighten go-wx /etc/passwd /etc/group
tighten o-rwx,g-wx /etc/shadow /etc/gshadow /etc/shadow- /etc/gshadow-
tighten go-rwx /etc/ssh/sshd_config /etc/crontab /etc/cron.hourly /etc/cron.daily /etc/cron.weekly /etc/cron.monthly /etc/cron.d /boot/grub/grub.cfg /boot/grub2/grub.cfg
for key in /etc/ssh/ssh_host_*_key; do tighten go-rwx "$key"; done
tighten g-wx,o-rwx /var/log
