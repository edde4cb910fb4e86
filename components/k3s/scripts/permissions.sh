# CIS 1.1.x: no group or other access under /etc/rancher and /var/lib/rancher
# (the blog's `chmod go=`), skipping containerd's tree (image layers and
# container roots must keep their modes) and local-path volumes (pods own
# them). Symlinks are skipped: chmod would follow them. Not reverted on
# delete: loosening permissions is never safe.
[ "$ACTION" = delete ] && { finish; exit 0; }
loose() {
	find /etc/rancher /var/lib/rancher \( -path '*containerd*' -o -path /var/lib/rancher/k3s/storage \) -prune \
		-o ! -type l -perm /go=rwx "$@"
}
n="$(loose -print | wc -l)"
if [ "$n" -gt 0 ]; then
	loose -exec chmod go= {} +
	log "chmod go= on $n paths"
	mark_changed
fi
