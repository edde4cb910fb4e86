package policies

import "testing"

var _ = casesFor("ssh-bastion-complete", func(*testing.T) []policyCase {
	withProxy := func(p any) any { return conn(func(m map[string]any) { m["proxy"] = p }) }
	cmd := func(desc string, c any, n int) policyCase {
		return policyCase{desc: desc, r: res("command:remote:Command", "dev-server-1-sshd", remoteCmd(c)), n: n, contains: []string{"bastion"}}
	}
	return []policyCase{
		cmd("no bastion", conn(nil), 0),
		cmd("complete bastion", withProxy(map[string]any{"host": "bastion.example", "hostKey": hostKey, "user": "jump"}), 0),
		cmd("bastion without host key", withProxy(map[string]any{"host": "bastion.example"}), 1),
		cmd("bastion without host", withProxy(map[string]any{"hostKey": hostKey}), 1),
		cmd("bastion without either", withProxy(map[string]any{"user": "jump"}), 2),
		cmd("bastion host key unknown in preview", withProxy(map[string]any{"host": "bastion.example", "hostKey": computed}), 0),
		cmd("bastion unknown in preview", withProxy(computed), 0),
	}
})
