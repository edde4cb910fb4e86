package labhost

import (
	"sort"
	"strings"
)

// hostSnapshot is what "the host as it was" means here: checksums of every
// file under /etc, /usr/local and the program's state dir, enabled units,
// firewalld's zones and the kernel settings the host steps touch.
const hostSnapshot = `set -u
find /etc /usr/local /var/lib/k3s-onprem -xdev \( -type f -o -type l \) 2>/dev/null | sort | while read -r f; do
	# The account tools' backups of the previous version (passwd-, group-,
	# shadow-, gshadow-, subuid-, subgid-) change with any account change,
	# also one that is undone; the files themselves are compared.
	case "$f" in /etc/passwd- | /etc/group- | /etc/shadow- | /etc/gshadow- | /etc/subuid- | /etc/subgid-) continue ;; esac
	# A symlink is its target (/etc/mtab -> /proc/self/mounts would
	# otherwise hash the mount table, which a user's login changes).
	if [ -L "$f" ]; then printf 'link %s -> %s\n' "$f" "$(readlink "$f")"; continue; fi
	printf '%s %s\n' "$(sha256sum < "$f" 2>/dev/null | cut -c1-16)" "$f"
done
systemctl list-unit-files --state=enabled --no-legend --no-pager | awk '{print "enabled " $1}'
firewall-cmd --get-active-zones 2>&1 | sed 's/^/zones /'
for z in $(firewall-cmd --get-zones); do firewall-cmd --zone="$z" --list-all 2>&1 | sed "s/^/zone $z: /"; done
for k in net.ipv4.ip_forward net.ipv4.conf.all.send_redirects net.ipv4.conf.all.accept_redirects \
	net.ipv4.conf.all.log_martians net.ipv4.tcp_syncookies kernel.kptr_restrict fs.suid_dumpable; do
	printf 'sysctl %s=%s\n' "$k" "$(sysctl -n "$k" 2>/dev/null)"
done
`

// Snapshot records host as hostSnapshot sees it (one entry per line).
func (l *Lab) Snapshot(t interface {
	Helper()
	Fatalf(string, ...any)
}, host string) map[string]string {
	t.Helper()
	out := l.MustRun(t, host, hostSnapshot)
	m := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		m[line] = host
	}
	return m
}

// SnapshotDiff lists lines only in a (-) or only in b (+).
func SnapshotDiff(a, b map[string]string) []string {
	var d []string
	for l := range a {
		if _, ok := b[l]; !ok {
			d = append(d, "- "+l)
		}
	}
	for l := range b {
		if _, ok := a[l]; !ok {
			d = append(d, "+ "+l)
		}
	}
	sort.Strings(d)
	return d
}
