package backuplab_test

import (
	_ "embed"
	"fmt"
	"strings"
	"testing"

	"k3s-onprem/components/backup"
)

//go:embed k3s-restore-standin.sh
var k3sStandin []byte

// standinUnit runs the stand-in as k3s.service (the program's real unit
// needs the real binary's notify protocol).
const standinUnit = "[Unit]\nDescription=k3s stand-in (tests/lab/backuplab)\n[Service]\nExecStart=/usr/local/bin/k3s server\n[Install]\nWantedBy=multi-user.target\n"

// restoreSteps runs the restore script in backup.RestorePlan's order on
// two servers (bk-server: the first, whose backups the runs are; bk-server2:
// one that rejoins), with the k3s stand-in in place of k3s. Real: the
// fetch over the restricted key through rrsync, the SHA256SUMS check,
// systemd stopping and starting the unit, the etcd data moved aside, the
// order and arguments. Emulated: everything k3s itself does.
func restoreSteps(t *testing.T, e *env, run string) {
	lab := e.lab
	for _, h := range []string{serverName, server2Name} {
		if err := lab.UploadMode(h, "/usr/local/bin/k3s", k3sStandin, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := lab.Upload(h, "/etc/systemd/system/k3s.service", []byte(standinUnit)); err != nil {
			t.Fatal(err)
		}
		lab.MustRun(t, h, "systemctl daemon-reload && systemctl enable --now k3s.service")
	}
	script := backup.RestoreScript()
	var stdout string
	exec := func(host string, args ...string) (string, error) {
		out, errOut, err := lab.Run(host, "bash -s -- "+strings.Join(args, " "), script)
		stdout = out
		return out + errOut, err
	}
	file := fmt.Sprintf("etcd-snapshot-%s-170000002", serverName) // changed in the last run
	nodeDir := e.client.Target.NodeDir(cluster, serverName)
	wantSum := strings.Fields(lab.MustRun(t, storeName, "sha256sum "+nodeDir+"/"+run+"/"+file))[0]

	// Order is enforced by the script, not only by the plan: a reset while
	// k3s runs is refused.
	if out, err := exec(serverName, "reset", "/etc/hostname"); err == nil || !strings.Contains(out, "stop k3s on every server first") {
		t.Errorf("reset with k3s running: %v %s", err, out)
	}
	// A snapshot that does not match its run's SHA256SUMS is refused.
	lab.MustRun(t, storeName, fmt.Sprintf("cp -p %[1]s %[1]s.orig && printf x >>%[1]s", nodeDir+"/"+run+"/"+file))
	if out, err := exec(serverName, "fetch", run, file); err == nil || !strings.Contains(out, "does not match") {
		t.Errorf("fetch of a tampered snapshot: %v %s", err, out)
	}
	lab.MustRun(t, storeName, fmt.Sprintf("mv -f %[1]s.orig %[1]s", nodeDir+"/"+run+"/"+file))
	if out, err := exec(serverName, "fetch", run, "../../etc/shadow"); err == nil {
		t.Errorf("fetch outside the run: %s", out)
	}

	plan, err := backup.RestorePlan([]string{serverName, server2Name}, run, file)
	if err != nil {
		t.Fatal(err)
	}
	lab.MustRun(t, server2Name, "echo old-member >/var/lib/rancher/k3s/server/db/etcd/marker")
	for i, a := range plan {
		out, err := exec(a.Node, a.Args...)
		if err != nil {
			t.Fatalf("step %d %s %v: %v\n%s", i+1, a.Node, a.Args, err, out)
		}
		switch a.Args[0] {
		case "stop":
			if st := strings.TrimSpace(lab.MustRun(t, a.Node, "systemctl is-active k3s.service || true")); st != "inactive" {
				t.Errorf("step %d: k3s on %s is %s after stop", i+1, a.Node, st)
			}
		case "fetch":
			got := strings.TrimSpace(lab.MustRun(t, a.Node, "sha256sum "+backup.RestoreDir+"/"+run+"/"+file+" | cut -d' ' -f1"))
			if got != wantSum || strings.TrimSpace(stdout) != backup.RestoreDir+"/"+run+"/"+file {
				t.Errorf("fetched %s, want %s; output %q", got, wantSum, out)
			}
		case "reset":
			marker := lab.MustRun(t, a.Node, "cat /var/lib/rancher/k3s/server/db/etcd/marker")
			if !strings.Contains(marker, "restored-from "+backup.RestoreDir+"/"+run+"/"+file+" "+wantSum) {
				t.Errorf("reset: marker %q", marker)
			}
			// The other server is still down while the first resets.
			if st := strings.TrimSpace(lab.MustRun(t, server2Name, "systemctl is-active k3s.service || true")); st != "inactive" {
				t.Errorf("%s is %s during the first server's reset", server2Name, st)
			}
		case "rejoin":
			aside := lab.MustRun(t, a.Node, "cat /var/lib/rancher/k3s/server/db.before-restore-*/etcd/marker")
			now := lab.MustRun(t, a.Node, "cat /var/lib/rancher/k3s/server/db/etcd/marker")
			if strings.TrimSpace(aside) != "old-member" || strings.TrimSpace(now) != "joined" {
				t.Errorf("rejoin on %s: aside %q, now %q", a.Node, aside, now)
			}
		}
		if a.Args[0] == "reset" || a.Args[0] == "rejoin" {
			if st := strings.TrimSpace(lab.MustRun(t, a.Node, "systemctl is-active k3s.service || true")); st != "active" {
				t.Errorf("step %d: k3s on %s is %s after %s", i+1, a.Node, st, a.Args[0])
			}
		}
	}
	t.Logf("stand-in log on %s:\n%s", serverName, lab.MustRun(t, serverName, "cat /var/log/k3s-standin.log"))
}
