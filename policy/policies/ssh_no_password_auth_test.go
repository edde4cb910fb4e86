package policies

import "testing"

var _ = casesFor("ssh-no-password-auth", func(*testing.T) []policyCase {
	copyCmd := func(desc string, c any, n int) policyCase {
		return policyCase{desc: desc, r: res("command:remote:CopyToRemote", "dev-server-1-sshd-copy", remoteCmd(c)), n: n, contains: []string{"password"}}
	}
	return []policyCase{
		copyCmd("key auth", conn(nil), 0),
		copyCmd("password", conn(func(m map[string]any) { m["password"] = "hunter2" }), 1),
		copyCmd("secret password", conn(func(m map[string]any) { m["password"] = secret("hunter2") }), 1),
		copyCmd("bastion password", conn(func(m map[string]any) {
			m["proxy"] = map[string]any{"host": "bastion", "hostKey": hostKey, "password": "hunter2"}
		}), 1),
		copyCmd("password unknown in preview", conn(func(m map[string]any) { m["password"] = computedSecret }), 0),
	}
})
