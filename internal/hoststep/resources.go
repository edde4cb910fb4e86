package hoststep

import (
	"strings"

	"github.com/pulumi/pulumi-command/sdk/go/command/remote"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Target is where a step runs.
type Target struct {
	// Node names the host; resource names start with it.
	Node       string
	Connection remote.ConnectionInput
	// Sudo prefixes commands with `sudo -n` for a non-root SSH user.
	Sudo bool
}

// Options tune one step's command.
type Options struct {
	// Stdin feeds a secret (token, key) to the script; never command text or env.
	Stdin pulumi.StringInput
	// SecretOutput hides stdout/stderr from logs and marks them secret
	// (for steps that print credentials).
	SecretOutput bool
}

// Apply registers the step on the target: a CopyToRemote per staged file and
// the command that applies them. Resources are named <node>-<step>[-...].
func Apply(ctx *pulumi.Context, t Target, s Step, o Options, opts ...pulumi.ResourceOption) (*remote.Command, error) {
	b, err := s.Render()
	if err != nil {
		return nil, err
	}
	prefix := t.Node + "-" + s.Name
	var copies []pulumi.Resource
	for _, f := range b.Files {
		c, err := remote.NewCopyToRemote(ctx, prefix+"-copy-"+copyName(strings.TrimPrefix(f.RemotePath, b.Dir+"/")), &remote.CopyToRemoteArgs{
			Connection: t.Connection,
			Source:     pulumi.NewStringAsset(string(f.Content)),
			RemotePath: pulumi.String(f.RemotePath),
		}, opts...)
		if err != nil {
			return nil, err
		}
		copies = append(copies, c)
	}
	create, del := b.Create, b.Delete
	if t.Sudo {
		create, del = "sudo -n "+create, "sudo -n "+del
	}
	args := &remote.CommandArgs{
		Connection: t.Connection,
		Create:     pulumi.String(create),
		Update:     pulumi.String(create),
		Delete:     pulumi.String(del),
	}
	cmdOpts := append(append([]pulumi.ResourceOption{}, opts...), pulumi.DependsOn(copies))
	if o.Stdin != nil {
		args.Stdin = o.Stdin
	}
	if o.SecretOutput {
		args.Logging = remote.LoggingNone
		cmdOpts = append(cmdOpts, pulumi.AdditionalSecretOutputs([]string{"stdout", "stderr"}))
	}
	return remote.NewCommand(ctx, prefix, args, cmdOpts...)
}

// copyName turns a staged path into a readable resource-name suffix.
func copyName(p string) string {
	p = strings.TrimPrefix(p, "root/")
	return strings.NewReplacer("/", "-", "_", "-").Replace(p)
}
