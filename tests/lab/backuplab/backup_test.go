package backuplab_test

import (
	"fmt"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"k3s-onprem/components/backup"
	"k3s-onprem/internal/hoststep"
)

// Fake snapshot files (real k3s cannot run here): four files of
// snapshotMiB MiB of random bytes, named as k3s names scheduled
// snapshots (etcd-snapshot-<node>-<unix time>).
const (
	snapshotFiles = 4
	snapshotMiB   = 8
)

var runRE = regexp.MustCompile(`^[0-9]{8}T[0-9]{6}Z$`)

// TestLab_EtcdBackupOffHost runs the program's backup-target step on a
// backup host and its etcd-backup step on a server (both rendered by
// components/backup, run as the program runs them: staged files plus
// run.sh, secrets on stdin), then the installed systemd service three
// times, changing one snapshot file between runs.
func TestLab_EtcdBackupOffHost(t *testing.T) {
	e := setup(t)
	lab := e.lab
	targetSteps, err := backup.TargetSteps(e.target)
	if err != nil {
		t.Fatal(err)
	}
	clientSteps, err := backup.ClientSteps(e.client)
	if err != nil {
		t.Fatal(err)
	}
	stdin := backup.TargetStdin([]string{serverName}, []string{e.pubKey})
	for round, want := range []string{"changed", "unchanged"} {
		for _, r := range append(applySteps(t, lab, storeName, targetSteps, stdin), applySteps(t, lab, serverName, clientSteps, string(e.keyPEM))...) {
			if got := map[bool]string{true: "changed", false: "unchanged"}[r.Changed]; got != want {
				t.Errorf("apply %d: %s on %s reported %s, want %s\n%s", round+1, r.Resource, r.Host, got, want, r.Stderr)
			}
		}
	}
	if out, errOut, err := lab.Run(serverName, "systemd-analyze verify "+backup.UnitPath+" "+backup.TimerPath, nil); err != nil || strings.TrimSpace(out+errOut) != "" {
		t.Errorf("systemd-analyze verify: %v\n%s%s", err, out, errOut)
	}
	if out := lab.MustRun(t, serverName, "systemctl is-enabled "+backup.TimerName+"; systemctl is-active "+backup.TimerName); out != "enabled\nactive\n" {
		t.Errorf("timer: %q, want enabled and active", out)
	}

	// Fill the snapshot directory as k3s would (0700 dir, 0600 files).
	lab.MustRun(t, serverName, fmt.Sprintf(`set -e; d=%s; install -d -m 0700 "$d"; for i in $(seq 1 %d); do
		head -c %dM /dev/urandom >"$d/etcd-snapshot-%s-17000000$i"; chmod 0600 "$d/etcd-snapshot-%s-17000000$i"; done`,
		backup.DefaultSnapshotDir, snapshotFiles, snapshotMiB, serverName, serverName))
	nodeDir := e.client.Target.NodeDir(cluster, serverName)
	var runs []string
	for i := 1; i <= 3; i++ {
		if i > 1 {
			// Change one file (a new run also needs a new second).
			lab.MustRun(t, serverName, fmt.Sprintf("sleep 1; head -c %dM /dev/urandom >%s/etcd-snapshot-%s-17000000%d",
				snapshotMiB, backup.DefaultSnapshotDir, serverName, i-1))
		}
		start := time.Now()
		if out, errOut, err := lab.Run(serverName, "systemctl start "+backup.UnitName, nil); err != nil {
			t.Fatalf("run %d: %v\n%s%s\n%s", i, err, out, errOut, lab.MustRun(t, serverName, "journalctl -u "+backup.UnitName+" --no-pager | tail -30"))
		}
		wall := time.Since(start)
		last := parseLastRun(t, lab.MustRun(t, serverName, "cat "+backup.StateDir+"/last-run"))
		run := last["run"]
		runs = append(runs, run)
		serverSums := lab.MustRun(t, serverName, "cd "+backup.DefaultSnapshotDir+" && find . -type f -print0 | sort -z | xargs -0 sha256sum")
		// A full tree: every file of the snapshot directory, same content,
		// and the run's SHA256SUMS verifies on the backup host.
		got := lab.MustRun(t, storeName, fmt.Sprintf("cd %s/%s && find . -type f ! -name SHA256SUMS -print0 | sort -z | xargs -0 sha256sum && sha256sum --quiet --strict -c SHA256SUMS >&2", nodeDir, run))
		if got != serverSums {
			t.Errorf("run %d (%s): files differ from the server's:\n%s\nwant\n%s", i, run, got, serverSums)
		}
		if l := strings.TrimSpace(lab.MustRun(t, storeName, "readlink "+nodeDir+"/latest")); l != run {
			t.Errorf("run %d: latest -> %q, want %s", i, l, run)
		}
		newBytes := "0"
		if i > 1 {
			prev := runs[i-2]
			// du counts a hard-linked file once: the second figure is what
			// this run added on disk.
			du := strings.Fields(lab.MustRun(t, storeName, fmt.Sprintf("cd %s && du -sb %s %s", nodeDir, prev, run)))
			newBytes = du[2]
			same := inodes(t, e, nodeDir+"/"+prev)
			now := inodes(t, e, nodeDir+"/"+run)
			changed := fmt.Sprintf("./etcd-snapshot-%s-17000000%d", serverName, i-1)
			for f, ino := range now {
				switch {
				case f == changed && ino == same[f]:
					t.Errorf("run %d: changed %s shares its inode with run %d", i, f, i-1)
				case f != changed && f != "./SHA256SUMS" && ino != same[f]:
					t.Errorf("run %d: unchanged %s is inode %s, run %d has %s: not a hard link", i, f, ino, i-1, same[f])
				}
			}
		} else {
			newBytes = strings.Fields(lab.MustRun(t, storeName, "du -sb "+nodeDir+"/"+run))[0]
		}
		fmt.Printf("backup run %d: %s files=%s bytes_sent=%s literal_bytes=%s new_on_disk_bytes=%s push_seconds=%s wall=%.2fs\n",
			i, run, last["files"], last["bytes_sent"], last["literal_bytes"], newBytes, last["seconds"], wall.Seconds())
	}

	// Retention: the backup host keeps the newest `keep` verified runs.
	left := strings.Fields(lab.MustRun(t, storeName, "cd "+nodeDir+" && ls -1d 2*"))
	if want := runs[len(runs)-keep:]; fmt.Sprint(left) != fmt.Sprint(want) {
		t.Errorf("runs kept: %v, want the newest %d: %v", left, keep, want)
	}
	if v := strings.Fields(lab.MustRun(t, storeName, "ls -1 "+nodeDir+"/.verified")); fmt.Sprint(v) != fmt.Sprint(runs[len(runs)-keep:]) {
		t.Errorf("verified markers: %v", v)
	}

	t.Run("KeyCannotRunAnythingElse", func(t *testing.T) { keyIsRestricted(t, e, runs[len(runs)-1]) })
	t.Run("GateRefusesABadRun", func(t *testing.T) { gateRefusesBadRun(t, e) })
	t.Run("Restore", func(t *testing.T) { restoreSteps(t, e, runs[len(runs)-1]) })
	t.Run("Delete", func(t *testing.T) { deleteKeepsBackups(t, e, runs[len(runs)-1]) })
}

func parseLastRun(t *testing.T, s string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, f := range strings.Fields(s) {
		k, v, _ := strings.Cut(f, "=")
		out[k] = v
	}
	if !runRE.MatchString(out["run"]) {
		t.Fatalf("last-run: %q", s)
	}
	return out
}

// inodes maps each file of a run (./name) to its inode number.
func inodes(t *testing.T, e *env, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(e.lab.MustRun(t, storeName, "cd "+dir+" && find . -type f -printf '%p %i\\n'")), "\n") {
		f := strings.Fields(line)
		out[f[0]] = f[1]
	}
	return out
}

// asServer runs cmd on the server with the backup key and the pinned host
// key, as a compromised server could; it returns the output and exit code.
func asServer(t *testing.T, e *env, cmd string) (string, int) {
	t.Helper()
	sshCmd := fmt.Sprintf("ssh -i %s -o IdentitiesOnly=yes -o BatchMode=yes -o UserKnownHostsFile=%s -o StrictHostKeyChecking=yes", backup.KeyPath, backup.KnownHostsPath)
	full := strings.NewReplacer("SSH", sshCmd, "REMOTE", backup.DefaultUser+"@"+storeAddr).Replace(cmd)
	out, errOut, err := e.lab.Run(serverName, full+" 2>&1", nil)
	code := 0
	if err != nil {
		var ee *ssh.ExitError
		if ok := asExit(err, &ee); !ok {
			t.Fatalf("%s: %v", full, err)
		}
		code = ee.ExitStatus()
	}
	return out + errOut, code
}

func asExit(err error, target **ssh.ExitError) bool {
	ee, ok := err.(*ssh.ExitError)
	if ok {
		*target = ee
	}
	return ok
}

func keyIsRestricted(t *testing.T, e *env, lastRun string) {
	nodeDir := e.client.Target.NodeDir(cluster, serverName)
	refused := []struct{ name, cmd, want string }{
		{"a command", "SSH REMOTE id", "refused"},
		{"a shell", "SSH -T REMOTE </dev/null", "refused"},
		{"a command disguised as rsync", "SSH REMOTE 'rsync --server; id'", "refused"},
		{"reading outside its directory", "rsync -e 'SSH' REMOTE:../ /tmp/escape/", "do not use .."},
		{"writing outside its directory", "rsync -e 'SSH' /etc/hostname REMOTE:../escape", "do not use .."},
		{"deleting", "mkdir -p /tmp/empty && rsync -r --delete -e 'SSH' /tmp/empty/ REMOTE:" + lastRun + "/", "delete"},
		{"finishing a path", "SSH REMOTE 'finish ../x'", "refused"},
	}
	for _, c := range refused {
		out, code := asServer(t, e, c.cmd)
		if code == 0 || !strings.Contains(out, c.want) {
			t.Errorf("%s: exit %d, output %q; want a failure mentioning %q", c.name, code, out, c.want)
		}
	}
	// An existing file cannot be overwritten (rrsync -no-overwrite).
	before := e.lab.MustRun(t, storeName, "sha256sum "+nodeDir+"/"+lastRun+"/SHA256SUMS")
	if out, code := asServer(t, e, "echo forged >/tmp/forged && rsync -e 'SSH' /tmp/forged REMOTE:"+lastRun+"/SHA256SUMS"); code != 0 {
		t.Logf("overwrite attempt: exit %d: %s", code, out)
	}
	if after := e.lab.MustRun(t, storeName, "sha256sum "+nodeDir+"/"+lastRun+"/SHA256SUMS"); after != before {
		t.Errorf("SHA256SUMS of %s was overwritten", lastRun)
	}
	// An absolute path is anchored at its own directory, never the host's.
	if out, code := asServer(t, e, "rsync -e 'SSH' REMOTE:/etc/passwd /tmp/passwd"); code == 0 {
		t.Errorf("read /etc/passwd: exit 0: %s", out)
	}
	// What it may do: read its own runs back (restore).
	if out, code := asServer(t, e, "rm -rf /tmp/back && rsync -r -e 'SSH' REMOTE:"+lastRun+"/ /tmp/back/ && cd /tmp/back && sha256sum --quiet -c SHA256SUMS"); code != 0 {
		t.Errorf("reading its own run back: exit %d: %s", code, out)
	}

	// Forwarding and a pty, from outside with the same key (Go's SSH
	// client, the library pulumi-command uses).
	signer, err := ssh.ParsePrivateKey(e.keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	hostKey, err := e.lab.HostPublicKey(storeName)
	if err != nil {
		t.Fatal(err)
	}
	c, err := ssh.Dial("tcp", net.JoinHostPort(storeAddr, "22"), &ssh.ClientConfig{
		User: backup.DefaultUser, Auth: []ssh.AuthMethod{ssh.PublicKeys(signer)},
		HostKeyCallback: ssh.FixedHostKey(hostKey), Timeout: 20 * time.Second,
	})
	if err != nil {
		t.Fatalf("dial with the backup key: %v", err)
	}
	defer c.Close()
	if conn, err := c.Dial("tcp", "127.0.0.1:22"); err == nil {
		conn.Close()
		t.Error("local port forwarding through the backup key was allowed")
	} else {
		t.Logf("port forwarding refused: %v", err)
	}
	if l, err := c.Listen("tcp", "127.0.0.1:2222"); err == nil {
		l.Close()
		t.Error("remote port forwarding through the backup key was allowed")
	}
	s, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.RequestPty("xterm", 24, 80, ssh.TerminalModes{}); err == nil {
		t.Error("a pty was allocated for the backup key")
	}
}

// gateRefusesBadRun: a run whose files do not match its SHA256SUMS is not
// promoted; latest stays where it was.
func gateRefusesBadRun(t *testing.T, e *env) {
	nodeDir := e.client.Target.NodeDir(cluster, serverName)
	latest := strings.TrimSpace(e.lab.MustRun(t, storeName, "readlink "+nodeDir+"/latest"))
	bad := "29991231T235959Z"
	out, code := asServer(t, e, "rm -rf /tmp/bad && mkdir /tmp/bad && echo x >/tmp/bad/f && (cd /tmp/bad && sha256sum ./f >SHA256SUMS) && echo y >/tmp/bad/f && "+
		"rsync -r -e 'SSH' /tmp/bad/ REMOTE:"+bad+"/ && SSH REMOTE 'finish "+bad+"'")
	if code == 0 || !strings.Contains(out, "does not match") {
		t.Errorf("finish of a corrupt run: exit %d: %s", code, out)
	}
	if l := strings.TrimSpace(e.lab.MustRun(t, storeName, "readlink "+nodeDir+"/latest")); l != latest {
		t.Errorf("latest moved to %s after a failed verification", l)
	}
	if out, _ := asServer(t, e, "SSH REMOTE list"); !strings.Contains(out, latest) || strings.Contains(out, bad) {
		t.Errorf("list: %q", out)
	}
	e.lab.MustRun(t, storeName, "rm -rf "+nodeDir+"/"+bad)
}

// deleteKeepsBackups: both steps' delete scripts remove what they
// installed (timer, unit, key, user, gate, authorized_keys) and leave the
// backups in place.
func deleteKeepsBackups(t *testing.T, e *env, lastRun string) {
	cs, _ := backup.ClientSteps(e.client)
	ts, _ := backup.TargetSteps(e.target)
	for _, x := range []struct {
		host string
		del  string
	}{{serverName, mustBundle(t, cs[0].Render).Delete}, {storeName, mustBundle(t, ts[0].Render).Delete}} {
		if out, errOut, err := e.lab.Run(x.host, x.del, nil); err != nil {
			t.Fatalf("delete on %s: %v\n%s%s", x.host, err, out, errOut)
		}
	}
	if out, _, _ := e.lab.Run(serverName, "ls "+backup.UnitPath+" "+backup.TimerPath+" "+backup.KeyPath+" "+backup.PushPath+" 2>/dev/null; systemctl is-active "+backup.TimerName, nil); strings.TrimSpace(out) != "inactive" {
		t.Errorf("server after delete: %q", out)
	}
	if out, _, _ := e.lab.Run(storeName, "id "+backup.DefaultUser+" 2>&1; ls "+backup.GatePath+" 2>&1", nil); !strings.Contains(out, "no such user") || !strings.Contains(out, "No such file") {
		t.Errorf("backup host after delete: %q", out)
	}
	if out := e.lab.MustRun(t, storeName, "ls "+e.client.Target.NodeDir(cluster, serverName)); !strings.Contains(out, lastRun) {
		t.Errorf("backups gone after delete: %q", out)
	}
}

func mustBundle(t *testing.T, render func() (hoststep.Bundle, error)) hoststep.Bundle {
	t.Helper()
	b, err := render()
	if err != nil {
		t.Fatal(err)
	}
	return b
}
