package hoststep

import (
	"fmt"
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
	// Uploads are large files (binaries, tarballs) copied as they are into
	// the step's directory as upload-<name>; the script finds them at
	// "$STEP_DIR/upload-<name>". Put their checksum in Step.Vars so a new
	// file changes the command text and re-runs the step.
	Uploads []Upload
}

// Upload is one file copied from the operator's machine.
type Upload struct {
	Name   string
	Source pulumi.AssetOrArchiveInput
}

// Apply registers the step on the target: a CopyToRemote per staged file and
// the command that applies them. Resources are named <node>-<step>[-...].
func Apply(ctx *pulumi.Context, t Target, s Step, o Options, opts ...pulumi.ResourceOption) (*remote.Command, error) {
	b, err := s.Render()
	if err != nil {
		return nil, err
	}
	prefix := t.Node + "-" + s.Name
	prepare, cleanup := b.PrepareAs(t.Sudo), "rm -rf "+b.Dir
	if t.Sudo {
		cleanup = "sudo -n " + cleanup
	}
	stage, err := remote.NewCommand(ctx, prefix+"-stage", &remote.CommandArgs{
		Connection: t.Connection,
		Create:     pulumi.String(prepare),
		Update:     pulumi.String(prepare),
		Delete:     pulumi.String(cleanup),
	}, opts...)
	if err != nil {
		return nil, err
	}
	copyOpts := append(append([]pulumi.ResourceOption{}, opts...), pulumi.DependsOn([]pulumi.Resource{stage}))
	copies := []pulumi.Resource{stage}
	copyTo := func(name string, src pulumi.AssetOrArchiveInput, remotePath string) error {
		c, err := remote.NewCopyToRemote(ctx, prefix+"-copy-"+name, &remote.CopyToRemoteArgs{
			Connection: t.Connection,
			Source:     src,
			RemotePath: pulumi.String(remotePath),
		}, copyOpts...)
		copies = append(copies, c)
		return err
	}
	for _, f := range b.Files {
		if err := copyTo(copyName(strings.TrimPrefix(f.RemotePath, b.Dir+"/")), pulumi.NewStringAsset(string(f.Content)), f.RemotePath); err != nil {
			return nil, err
		}
	}
	for _, u := range o.Uploads {
		if err := copyTo("upload-"+u.Name, u.Source, b.Dir+"/upload-"+u.Name); err != nil {
			return nil, err
		}
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

// copyName turns a staged name into a readable resource-name suffix.
func copyName(p string) string {
	p = strings.TrimPrefix(p, "root__")
	return strings.NewReplacer("__", "-", "/", "-", "_", "-").Replace(p)
}

// ApplyChain applies steps on t in order, the first after after and each
// next after the previous, with options(step) for each (nil: no options).
// It returns the steps' commands in order, so never none: an empty chain
// has no last step for later ones to wait for.
func ApplyChain(ctx *pulumi.Context, t Target, steps []Step, after []pulumi.Resource, options func(Step) (Options, error), opts ...pulumi.ResourceOption) ([]*remote.Command, error) {
	if len(steps) == 0 {
		return nil, fmt.Errorf("%s: no steps to apply", t.Node)
	}
	var cmds []*remote.Command
	for _, s := range steps {
		var o Options
		if options != nil {
			var err error
			if o, err = options(s); err != nil {
				return nil, err
			}
		}
		stepOpts := append(append([]pulumi.ResourceOption{}, opts...), pulumi.DependsOn(after))
		cmd, err := Apply(ctx, t, s, o, stepOpts...)
		if err != nil {
			return nil, err
		}
		cmds = append(cmds, cmd)
		after = []pulumi.Resource{cmd}
	}
	return cmds, nil
}
