package policies

import "github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

// ssh-no-password-auth: the hosts' sshd is hardened to keys only
// (PasswordAuthentication no); a password in the connection would either
// fail against that or mean the hardening is off, and it puts a reusable
// credential into the stack's state.
var _ = register(resourceRule{
	name:  "ssh-no-password-auth",
	order: 20,
	level: policyx.EnforcementLevelMandatory,
	cis:   "CIS Linux 5.2.x (PasswordAuthentication no)",
	what:  "connections and their bastion hop use a key or agent, never a password",
	check: func(c *resourceCheck) {
		conn, ok := c.connection()
		if !ok {
			return
		}
		if at(conn, "password").NonEmpty() {
			c.report("connection to %s uses a password: remove it and use the secret config key sshPrivateKey, ssh.privateKeyPath or ssh.useAgent", connHost(conn))
		}
		if at(conn, "proxy", "password").NonEmpty() {
			c.report("bastion hop of the connection to %s uses a password: remove it and use a key (sshPrivateKey, ssh.privateKeyPath) or ssh.useAgent", connHost(conn))
		}
	},
})
