package stacks

import (
	"github.com/pulumi/pulumi-command/sdk/go/command/remote"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// connection builds the node's SSH connection: pinned host key, key from
// the secret config (never plain), optional bastion. The whole connection
// is a secret because it carries the private key.
func connection(n Node, spec *ClusterSpec, sec *Secrets) remote.ConnectionInput {
	c := remote.ConnectionArgs{
		Host: pulumi.String(n.SSH.Host),
		Port: pulumi.Float64(float64(n.SSH.Port)),
		User: pulumi.String(n.SSH.User),
		// Fail fast on an unreachable host instead of retrying for minutes.
		DialErrorLimit: pulumi.Int(5),
	}
	if n.SSH.HostKey != "" {
		c.HostKey = pulumi.String(n.SSH.HostKey)
	}
	// With ssh.useAgent the provider uses SSH_AUTH_SOCK of the operator.
	if !spec.SSH.UseAgent {
		c.PrivateKey = sec.SSHPrivateKey
	}
	if b := n.SSH.Bastion; b != nil {
		p := remote.ProxyConnectionArgs{
			Host: pulumi.String(b.Host),
			Port: pulumi.Float64(float64(b.Port)),
			User: pulumi.String(b.User),
		}
		if b.HostKey != "" {
			p.HostKey = pulumi.String(b.HostKey)
		}
		if !spec.SSH.UseAgent {
			p.PrivateKey = sec.SSHPrivateKey
		}
		c.Proxy = p
	}
	return pulumi.ToSecret(c.ToConnectionOutput()).(remote.ConnectionOutput)
}
