package policies

import "testing"

var _ = casesFor("ssh-host-key-pinned", func(*testing.T) []policyCase {
	cmd := func(desc string, c any, n int) policyCase {
		return policyCase{desc: desc, r: res("command:remote:Command", "dev-server-1-sshd", remoteCmd(c)), n: n,
			contains: []string{"10.203.0.11", "nodes[].ssh.hostKey"}}
	}
	return []policyCase{
		cmd("pinned", conn(nil), 0),
		cmd("unpinned (ssh.allowUnpinnedHostKeys)", conn(func(m map[string]any) { delete(m, "hostKey") }), 1),
		cmd("empty host key", conn(func(m map[string]any) { m["hostKey"] = "" }), 1),
		cmd("not a key", conn(func(m map[string]any) { m["hostKey"] = "ssh-ed25519 garbage" }), 1),
		cmd("host key unknown in preview", conn(func(m map[string]any) { m["hostKey"] = computedSecret }), 0),
		cmd("whole connection unknown in preview", computedSecret, 0),
		{desc: "other resource types are not judged",
			r: res("k3s-onprem:host:Host", "dev-server-1", remoteCmd(conn(func(m map[string]any) { delete(m, "hostKey") })))},
	}
})
