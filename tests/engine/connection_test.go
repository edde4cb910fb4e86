//go:build engine

package engine_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"

	"k3s-onprem/stacks"
	"k3s-onprem/tests/lab/labhost"
)

// deployUser is the non-root SSH user of the connection test: it logs in
// with the operator key and has passwordless sudo, the README's setup for
// hosts where root cannot log in.
const deployUser = "deploy"

const addDeployUser = `set -eu
id deploy >/dev/null 2>&1 || useradd -m -s /bin/bash deploy
install -d -m 700 -o deploy -g deploy /home/deploy/.ssh
install -m 600 -o deploy -g deploy /root/.ssh/authorized_keys /home/deploy/.ssh/authorized_keys
printf 'deploy ALL=(ALL) NOPASSWD: ALL\n' > /etc/sudoers.d/deploy
chmod 440 /etc/sudoers.d/deploy
`

// TestEngine_ConnectionAsConfigured runs the host phase of a one-server
// stack through the engine the way a locked-down site connects: a
// non-root user with sudo, through a bastion, host keys pinned. A wrong
// pinned key is refused before anything runs; with the right one every
// command arrives from the bastion as the deploy user, files are written
// as root, and destroy puts the host back.
func TestEngine_ConnectionAsConfigured(t *testing.T) {
	requireRoot(t)
	requireEngine(t)
	// Its own network, so it runs beside the lifecycle test (t.Parallel).
	const connNet = "10.212.0"
	t.Parallel()
	bastionAddr, serverAddr := connNet+".5", connNet+".11"
	lab := labhost.Start(t, []labhost.HostSpec{
		{Name: "bastion", Addresses: []string{bastionAddr}},
		{Name: "dev-server-1", Addresses: []string{serverAddr}},
	})
	for _, h := range []string{"bastion", "dev-server-1"} {
		lab.MustRun(t, h, addDeployUser)
	}
	ctx := context.Background()
	key := string(lab.ClientKeyPEM())
	before := lab.Snapshot(t, "dev-server-1")

	cfg := labConfig(t, lab, labNodes[:1])
	moveToNet(cfg, connNet)
	cfg[stacks.Project+":stopAfter"] = "hosts"
	cfg[stacks.Project+":ssh"] = map[string]any{
		"user":    deployUser,
		"bastion": map[string]any{"host": bastionAddr, "hostKey": lab.Host("bastion").HostKey},
	}
	node := cfg[stacks.Project+":nodes"].([]any)[0].(map[string]any)

	// 1. The server's pin holds the bastion's key: refused, nothing runs.
	// Direct, the user sees the mismatch. Through the bastion, upstream
	// pulumi-command (remote/connection.go, followed by the test plugin)
	// retries the SSH handshake on the same bridged connection, so the
	// reported error is the last retry's EOF, not the mismatch.
	node["ssh"] = map[string]any{"hostKey": lab.Host("bastion").HostKey}
	s := newStack(t, ctx, "conn", cfg, map[string]string{stacks.KeySSHPrivateKey: key})
	for _, c := range []struct {
		name, want string
		bastion    bool
	}{
		{"direct", "ssh: host key mismatch", false},
		{"through the bastion", "proxy: after 5 failed attempts: ssh: handshake failed", true},
	} {
		sshCfg := cfg[stacks.Project+":ssh"].(map[string]any)
		bastion := sshCfg["bastion"]
		if !c.bastion {
			delete(sshCfg, "bastion")
		}
		s.writeConfig(t, cfg)
		sshCfg["bastion"] = bastion
		logins := sshLogins(t, lab, "dev-server-1")
		rec := newRecorder()
		_, err := s.Up(ctx, optup.EventStreams(rec.ch))
		rec.wait()
		if err == nil {
			t.Fatalf("wrong host key, %s: up succeeded", c.name)
		}
		if !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "dev-server-1-") {
			t.Errorf("wrong host key, %s: the error does not say %q for the node's step:\n%v", c.name, c.want, err)
		}
		if d := sshLogins(t, lab, "dev-server-1") - logins; d != 0 {
			t.Errorf("wrong host key, %s: %d logins reached the server", c.name, d)
		}
		if d := labhost.SnapshotDiff(before, lab.Snapshot(t, "dev-server-1")); len(d) > 0 {
			t.Errorf("wrong host key, %s: the server changed:\n%s", c.name, strings.Join(d, "\n"))
		}
		t.Logf("wrong host key refused (%s); the user sees: %s", c.name, firstLine(err.Error(), c.want))
	}

	// 2. The right pin: every command comes through the bastion as deploy.
	node["ssh"] = map[string]any{"hostKey": lab.Host("dev-server-1").HostKey}
	s.writeConfig(t, cfg)
	rec := newRecorder()
	start := time.Now()
	if _, err := s.Up(ctx, optup.EventStreams(rec.ch)); err != nil {
		t.Fatalf("up through the bastion as %s: %v", deployUser, err)
	}
	rec.wait()
	t.Logf("MEASURE host phase of one server through the bastion, as %s with sudo: %s, changes %v", deployUser, time.Since(start).Round(time.Millisecond), summary(rec))
	accepted := lab.MustRun(t, "dev-server-1", `journalctl -q --no-pager -o cat -t sshd -t sshd-session | grep '^Accepted ' || true`)
	var fromBastion int
	for _, l := range strings.Split(strings.TrimSpace(accepted), "\n") {
		switch {
		case !strings.HasPrefix(l, "Accepted publickey "):
			// sshd's "Accepted key ... found at" line of the same login
		case strings.Contains(l, " for "+deployUser+" from "+bastionAddr+" "):
			fromBastion++
		case strings.Contains(l, " from "+connNet+".1 "):
			// the lab's own root session from the root namespace
		case l != "":
			t.Errorf("login not through the bastion as %s: %s", deployUser, l)
		}
	}
	if fromBastion == 0 {
		t.Errorf("no login of %s from the bastion:\n%s", deployUser, accepted)
	}
	// Only the staging directories are the SSH user's (SFTP writes them).
	if out := lab.MustRun(t, "dev-server-1", `find /etc /usr/local /var/lib/k3s-onprem -xdev -user deploy 2>/dev/null | grep -v -e '^/etc/sudoers.d' -e '^/var/lib/k3s-onprem/steps/' || true`); strings.TrimSpace(out) != "" {
		t.Errorf("files owned by %s outside the staging directories, want root (sudo):\n%s", deployUser, out)
	}
	if d := labhost.SnapshotDiff(before, lab.Snapshot(t, "dev-server-1")); len(d) == 0 {
		t.Error("the host phase changed nothing on the server")
	}
	t.Logf("%d logins as %s through the bastion", fromBastion, deployUser)

	// 3. Destroy through the same path puts the server back.
	rec = newRecorder()
	_, err := s.Destroy(ctx, optdestroy.EventStreams(rec.ch))
	rec.wait()
	if err != nil {
		t.Fatalf("destroy: %v", err)
	}
	if d := labhost.SnapshotDiff(before, lab.Snapshot(t, "dev-server-1")); len(d) > 0 {
		t.Errorf("the server is not as it was after destroy:\n%s", strings.Join(d, "\n"))
	}
}

// firstLine is the first line of s that contains sub (or s).
func firstLine(s, sub string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			return strings.TrimSpace(l)
		}
	}
	return s
}
