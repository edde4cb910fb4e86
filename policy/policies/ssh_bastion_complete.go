package policies

import "github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

// ssh-bastion-complete: the jump host is a connection of its own; without a
// pinned key for it, a man in the middle on the bastion hop sees the
// forwarded session to every node.
var _ = register(resourceRule{
	name:  "ssh-bastion-complete",
	order: 30,
	level: policyx.EnforcementLevelMandatory,
	cis:   "CIS Linux 5.2 (SSH)",
	what:  "a bastion (`connection.proxy`) names its host and pins its host key",
	check: func(c *resourceCheck) {
		conn, ok := c.connection()
		if !ok {
			return
		}
		proxy := at(conn, "proxy")
		if proxy.Unknown() || proxy.Missing() {
			return
		}
		p, ok := proxy.Map()
		if !ok {
			return
		}
		if h := at(p, "host"); !h.Unknown() && !h.NonEmpty() {
			c.report("the bastion of the connection to %s has no host: set ssh.bastion.host (or nodes[].ssh.bastion.host)", connHost(conn))
		}
		if k := at(p, "hostKey"); !k.Unknown() && !k.NonEmpty() {
			c.report("the bastion of the connection to %s does not pin its host key: set ssh.bastion.hostKey (ssh-keyscan -t ed25519 BASTION | cut -d' ' -f2-)", connHost(conn))
		}
	},
})
