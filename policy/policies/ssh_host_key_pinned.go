package policies

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
	"golang.org/x/crypto/ssh"
)

// ssh-host-key-pinned: pulumi-command accepts any host key when hostKey is
// unset (ssh.InsecureIgnoreHostKey), so an unpinned connection hands the
// node's root shell, the private key's use and every secret sent over it to
// whoever answers on that address.
var _ = register(resourceRule{
	name:  "ssh-host-key-pinned",
	order: 10,
	level: policyx.EnforcementLevelMandatory,
	cis:   "CIS Linux 5.2 (SSH); no k3s CIS control",
	what:  "every `command:remote:*` connection pins the node's host key (`connection.hostKey`, a parseable public key); pulumi-command otherwise accepts any key",
	check: func(c *resourceCheck) {
		conn, ok := c.connection()
		if !ok {
			return
		}
		hk := at(conn, "hostKey")
		if hk.Unknown() {
			return
		}
		key, _ := hk.Str()
		if key == "" {
			c.report("connection to %s does not pin a host key: set nodes[].ssh.hostKey to the node's key "+
				"(ssh-keyscan -t ed25519 HOST | cut -d' ' -f2-) and remove ssh.allowUnpinnedHostKeys", connHost(conn))
			return
		}
		if _, _, _, _, err := ssh.ParseAuthorizedKey([]byte(key)); err != nil {
			c.report("connection to %s: hostKey is not an SSH public key; set nodes[].ssh.hostKey to 'ssh-ed25519 AAAA...'", connHost(conn))
		}
	},
})
