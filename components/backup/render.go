package backup

import (
	"fmt"
	"strings"
)

// Client is one server's off-host copy.
type Client struct {
	Target Target
	// Cluster and Node name the server's directory on the backup host.
	Cluster string
	Node    string
	// SnapshotDir is k3s's etcd-snapshot-dir (DefaultSnapshotDir).
	SnapshotDir string
	// OnCalendar is the timer's schedule (systemd.time), e.g. "hourly".
	OnCalendar string
}

// RandomizedDelaySeconds spreads the servers' pushes.
const RandomizedDelaySeconds = 300

// TimeoutSeconds bounds one push (a first run of large snapshots on a
// slow link).
const TimeoutSeconds = 3600

func (c Client) check() error {
	if err := c.Target.Check(); err != nil {
		return err
	}
	if err := checkName("cluster", c.Cluster); err != nil {
		return err
	}
	if err := checkName("node", c.Node); err != nil {
		return err
	}
	if !absPathRE.MatchString(c.SnapshotDir) {
		return fmt.Errorf("snapshot directory %q: want an absolute path", c.SnapshotDir)
	}
	if !calendarRE.MatchString(c.OnCalendar) {
		return fmt.Errorf("schedule %q: not a systemd OnCalendar expression", c.OnCalendar)
	}
	return nil
}

type clientView struct {
	Client
	BackupHost, BackupUser, PushPath, ConfPath, KeyPath, KnownHostsPath string
	StateDir, StateDirectoryName                                        string
	BackupPort, RandomizedDelaySeconds, TimeoutSeconds                  int
}

func (c Client) view() (clientView, error) {
	if err := c.check(); err != nil {
		return clientView{}, err
	}
	return clientView{Client: c, BackupHost: c.Target.Address, BackupUser: c.Target.User, BackupPort: c.Target.Port,
		PushPath: PushPath, ConfPath: ConfPath, KeyPath: KeyPath, KnownHostsPath: KnownHostsPath,
		StateDir: StateDir, StateDirectoryName: StateDirectoryName,
		RandomizedDelaySeconds: RandomizedDelaySeconds, TimeoutSeconds: TimeoutSeconds}, nil
}

// RenderUnit renders the push's oneshot service (sandboxed).
func RenderUnit(c Client) ([]byte, error) {
	v, err := c.view()
	if err != nil {
		return nil, err
	}
	return templates.Execute("etcd-backup.service.tmpl", v)
}

// RenderTimer renders the push's timer.
func RenderTimer(c Client) ([]byte, error) {
	v, err := c.view()
	if err != nil {
		return nil, err
	}
	return templates.Execute("etcd-backup.timer.tmpl", v)
}

// RenderPushConf renders the push's settings (sourced by the push script;
// every value is checked to be a plain word or path).
func RenderPushConf(c Client) ([]byte, error) {
	v, err := c.view()
	if err != nil {
		return nil, err
	}
	return templates.Execute("push.conf.tmpl", v)
}

// RenderKnownHosts pins the backup host's key for the push.
func RenderKnownHosts(t Target) ([]byte, error) {
	if err := t.Check(); err != nil {
		return nil, err
	}
	return []byte(t.knownHostsName() + " " + strings.TrimSpace(t.HostKey) + "\n"), nil
}

// RenderPushScript is the push script (fixed text).
func RenderPushScript() []byte { return []byte(embedded("push.sh")) }

// RenderGateScript is the backup host's forced command (fixed text).
func RenderGateScript() []byte { return []byte(embedded("gate.sh")) }

// TargetHost is the backup host's side: the servers it accepts.
type TargetHost struct {
	Target  Target
	Cluster string
	// Nodes are the servers, each with its own key and directory.
	Nodes []string
	// HomeDir is the backup user's home (root's; holds .ssh/authorized_keys).
	HomeDir string
}

// PublicKeyPlaceholder stands for a server's public key in the staged
// authorized_keys template.
func PublicKeyPlaceholder(node string) string { return "@PUBLIC_KEY:" + node + "@" }

// RenderAuthorizedKeysTemplate renders authorized_keys with a placeholder
// per server: command="backup-gate KEEP DIR",restrict.
func RenderAuthorizedKeysTemplate(h TargetHost) ([]byte, error) {
	if err := h.check(); err != nil {
		return nil, err
	}
	type entry struct{ Node, Dir, Placeholder string }
	var es []entry
	for _, n := range h.Nodes {
		es = append(es, entry{Node: n, Dir: h.Target.NodeDir(h.Cluster, n), Placeholder: PublicKeyPlaceholder(n)})
	}
	return templates.Execute("authorized_keys.in.tmpl", struct {
		GatePath, Cluster string
		Keep              int
		Entries           []entry
	}{GatePath, h.Cluster, h.Target.Keep, es})
}

func (h TargetHost) check() error {
	if err := h.Target.Check(); err != nil {
		return err
	}
	if err := checkName("cluster", h.Cluster); err != nil {
		return err
	}
	if len(h.Nodes) == 0 {
		return fmt.Errorf("backup host: no servers")
	}
	seen := map[string]bool{}
	for _, n := range h.Nodes {
		if err := checkName("node", n); err != nil {
			return err
		}
		if seen[n] {
			return fmt.Errorf("node %q twice", n)
		}
		seen[n] = true
	}
	if !absPathRE.MatchString(h.HomeDir) {
		return fmt.Errorf("backup home %q: want an absolute path", h.HomeDir)
	}
	return nil
}
