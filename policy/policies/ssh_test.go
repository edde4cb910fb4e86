package policies

import (
	"testing"
)

func remoteCmd(c any) map[string]any {
	return map[string]any{"connection": c, "create": "bash /var/lib/k3s-onprem/steps/sshd/run.sh apply 0123"}
}

func TestSSHHostKeyPinned(t *testing.T) {
	const name = "ssh-host-key-pinned"
	cases := []struct {
		desc string
		c    any
		n    int
	}{
		{"pinned", conn(nil), 0},
		{"unpinned (ssh.allowUnpinnedHostKeys)", conn(func(m map[string]any) { delete(m, "hostKey") }), 1},
		{"empty host key", conn(func(m map[string]any) { m["hostKey"] = "" }), 1},
		{"not a key", conn(func(m map[string]any) { m["hostKey"] = "ssh-ed25519 garbage" }), 1},
		{"host key unknown in preview", conn(func(m map[string]any) { m["hostKey"] = computedSecret }), 0},
		{"whole connection unknown in preview", computedSecret, 0},
	}
	for _, tc := range cases {
		t.Run(tc.desc, func(t *testing.T) {
			got := validate(t, devEnv(), name, res("command:remote:Command", "dev-server-1-sshd", remoteCmd(tc.c)), nil)
			wantReports(t, got, tc.n, "10.203.0.11", "nodes[].ssh.hostKey")
		})
	}
	t.Run("other resource types are not judged", func(t *testing.T) {
		got := validate(t, devEnv(), name, res("k3s-onprem:host:Host", "dev-server-1", remoteCmd(conn(func(m map[string]any) { delete(m, "hostKey") }))), nil)
		wantReports(t, got, 0)
	})
}

func TestSSHNoPasswordAuth(t *testing.T) {
	const name = "ssh-no-password-auth"
	cases := []struct {
		desc string
		c    any
		n    int
	}{
		{"key auth", conn(nil), 0},
		{"password", conn(func(m map[string]any) { m["password"] = "hunter2" }), 1},
		{"secret password", conn(func(m map[string]any) { m["password"] = secret("hunter2") }), 1},
		{"bastion password", conn(func(m map[string]any) {
			m["proxy"] = map[string]any{"host": "bastion", "hostKey": hostKey, "password": "hunter2"}
		}), 1},
		{"password unknown in preview", conn(func(m map[string]any) { m["password"] = computedSecret }), 0},
	}
	for _, tc := range cases {
		t.Run(tc.desc, func(t *testing.T) {
			got := validate(t, devEnv(), name, res("command:remote:CopyToRemote", "dev-server-1-sshd-copy", remoteCmd(tc.c)), nil)
			wantReports(t, got, tc.n, "password")
		})
	}
}

func TestSSHBastionComplete(t *testing.T) {
	const name = "ssh-bastion-complete"
	withProxy := func(p any) any { return conn(func(m map[string]any) { m["proxy"] = p }) }
	cases := []struct {
		desc string
		c    any
		n    int
	}{
		{"no bastion", conn(nil), 0},
		{"complete bastion", withProxy(map[string]any{"host": "bastion.example", "hostKey": hostKey, "user": "jump"}), 0},
		{"bastion without host key", withProxy(map[string]any{"host": "bastion.example"}), 1},
		{"bastion without host", withProxy(map[string]any{"hostKey": hostKey}), 1},
		{"bastion without either", withProxy(map[string]any{"user": "jump"}), 2},
		{"bastion host key unknown in preview", withProxy(map[string]any{"host": "bastion.example", "hostKey": computed}), 0},
		{"bastion unknown in preview", withProxy(computed), 0},
	}
	for _, tc := range cases {
		t.Run(tc.desc, func(t *testing.T) {
			got := validate(t, devEnv(), name, res("command:remote:Command", "dev-server-1-sshd", remoteCmd(tc.c)), nil)
			wantReports(t, got, tc.n, "bastion")
		})
	}
}
