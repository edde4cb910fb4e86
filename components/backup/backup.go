// Package backup copies each k3s server's etcd snapshots off the host: a
// systemd timer on every server pushes the snapshot directory to a backup
// host with rsync --link-dest, so each run is a full, browsable tree that
// stores only what changed, with SHA256SUMS verified on arrival and the
// newest runs kept. On the backup host a dedicated user accepts one
// restricted key per server, each forced into its own directory. The
// restore scripts (restore.go) bring a run back and reset the cluster
// from it. Renderers are pure; the steps are internal/hoststep steps.
package backup

import (
	"embed"
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"

	"k3s-onprem/internal/tmpl"
)

//go:embed templates/*.tmpl
var templateFS embed.FS

var templates = tmpl.Must(templateFS, "templates/*.tmpl")

//go:embed scripts/*.sh
var scriptFS embed.FS

// embedded returns an embedded script (a build-time invariant).
func embedded(name string) string {
	b, err := scriptFS.ReadFile("scripts/" + name)
	if err != nil {
		panic(fmt.Sprintf("embedded script %s missing: %v", name, err))
	}
	return string(b)
}

// Paths on the servers.
const (
	PushPath       = "/usr/local/libexec/k3s-onprem/etcd-backup-push"
	ConfDir        = "/etc/k3s-onprem/etcd-backup"
	ConfPath       = ConfDir + "/push.conf"
	KeyPath        = ConfDir + "/id_ed25519"
	KnownHostsPath = ConfDir + "/known_hosts"
	UnitName       = "k3s-onprem-etcd-backup.service"
	TimerName      = "k3s-onprem-etcd-backup.timer"
	UnitPath       = "/etc/systemd/system/" + UnitName
	TimerPath      = "/etc/systemd/system/" + TimerName
	// StateDirectoryName is the unit's StateDirectory (under /var/lib):
	// SHA256SUMS of the last run, rsync's statistics, last-run.
	StateDirectoryName = "k3s-onprem/etcd-backup"
	StateDir           = "/var/lib/" + StateDirectoryName
	// DefaultSnapshotDir is where k3s writes scheduled snapshots when
	// etcd-snapshot-dir is not set (${data-dir}/server/db/snapshots).
	DefaultSnapshotDir = "/var/lib/rancher/k3s/server/db/snapshots"
)

// Paths on the backup host.
const (
	GatePath = "/usr/local/libexec/k3s-onprem/backup-gate"
	// AuthorizedKeysTemplatePath is authorized_keys with a placeholder per
	// server; the target step fills in the public keys from stdin.
	AuthorizedKeysTemplatePath = "/etc/k3s-onprem/backup-target/authorized_keys.in"
	DefaultUser                = "k3s-backup"
	DefaultRoot                = "/srv/k3s-onprem-backups"
)

// Target is the backup host as the servers see it.
type Target struct {
	// Address is the backup host's address (IP or DNS name).
	Address string
	Port    int
	// HostKey is its SSH host public key ("ssh-ed25519 AAAA..."), pinned
	// in every server's known_hosts.
	HostKey string
	// User is the dedicated backup user (DefaultUser).
	User string
	// Root holds <cluster>/<node>/<run>/ (DefaultRoot).
	Root string
	// Keep is how many verified runs per server the backup host keeps.
	Keep int
}

// NodeDir is where a server's runs live on the backup host.
func (t Target) NodeDir(cluster, node string) string { return path.Join(t.Root, cluster, node) }

var (
	nameRE    = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	userRE    = regexp.MustCompile(`^[a-z_][a-z0-9_-]{0,30}$`)
	hostRE    = regexp.MustCompile(`^[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?$`)
	absPathRE = regexp.MustCompile(`^(/[A-Za-z0-9._-]+)+$`)
	hostKeyRE = regexp.MustCompile(`^(ssh-ed25519|ecdsa-sha2-nistp256|ecdsa-sha2-nistp384|ecdsa-sha2-nistp521|ssh-rsa) [A-Za-z0-9+/]+=*$`)
	// CalendarRE is the characters a systemd OnCalendar expression uses;
	// systemd-analyze verify (lab) checks the expression itself.
	calendarRE = regexp.MustCompile(`^[A-Za-z0-9 *:/,.~+-]+$`)
)

// Check refuses a target whose values could not be written into the
// rendered files as they are (the stack validation names the config key;
// this is the renderers' own guard).
func (t Target) Check() error {
	switch {
	case !hostRE.MatchString(t.Address):
		return fmt.Errorf("backup host address %q", t.Address)
	case t.Port < 1 || t.Port > 65535:
		return fmt.Errorf("backup host port %d", t.Port)
	case !hostKeyRE.MatchString(strings.TrimSpace(t.HostKey)):
		return fmt.Errorf("backup host key %q: want \"<type> <base64>\"", t.HostKey)
	case !userRE.MatchString(t.User):
		return fmt.Errorf("backup user %q", t.User)
	case !absPathRE.MatchString(t.Root) || strings.Contains(t.Root, "/../") || strings.HasSuffix(t.Root, "/.."):
		return fmt.Errorf("backup root %q: want an absolute path", t.Root)
	case t.Keep < 1:
		return fmt.Errorf("backup keep %d: want at least 1", t.Keep)
	}
	return nil
}

// checkName refuses a cluster or node name that is not a DNS label (it
// becomes a directory and part of a forced command).
func checkName(what, s string) error {
	if !nameRE.MatchString(s) {
		return fmt.Errorf("%s %q: want lower-case letters, digits and '-'", what, s)
	}
	return nil
}

// knownHostsName is how ssh spells host:port in known_hosts.
func (t Target) knownHostsName() string {
	if t.Port == 22 {
		return t.Address
	}
	return "[" + t.Address + "]:" + strconv.Itoa(t.Port)
}
