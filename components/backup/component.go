package backup

import (
	"fmt"

	"github.com/pulumi/pulumi-tls/sdk/v5/go/tls"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"k3s-onprem/internal/hoststep"
)

// Server is one k3s server whose snapshots are copied.
type Server struct {
	// Client is the pure part (target, cluster, node, snapshot dir, schedule).
	Client Client
	Target hoststep.Target
	// After is what its step waits for (the server's health gate).
	After []pulumi.Resource
}

// Args configures the off-host copy.
type Args struct {
	// Host is the backup host's side; Host.Nodes are the servers' names
	// in the order of Servers.
	Host TargetHost
	// HostTarget is how the program reaches the backup host.
	HostTarget hoststep.Target
	Servers    []Server
}

// Backup is the off-host copy of every server's etcd snapshots.
type Backup struct {
	pulumi.ResourceState

	// Ready are the servers' etcd-backup steps (timers installed).
	Ready []pulumi.Resource
}

// NewBackup generates one ED25519 key per server (pulumi-tls, state-held,
// secret), prepares the backup host with their public keys, then installs
// each server's timer with its private key on stdin.
func NewBackup(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*Backup, error) {
	if len(args.Servers) != len(args.Host.Nodes) {
		return nil, fmt.Errorf("backup %s: %d servers for %d nodes", name, len(args.Servers), len(args.Host.Nodes))
	}
	b := &Backup{}
	inputs := pulumi.Map{
		"host": pulumi.String(args.Host.Target.Address), "user": pulumi.String(args.Host.Target.User),
		"root": pulumi.String(args.Host.Target.Root), "keep": pulumi.Int(args.Host.Target.Keep),
		"cluster": pulumi.String(args.Host.Cluster), "nodes": pulumi.ToStringArray(args.Host.Nodes),
	}
	if err := ctx.RegisterComponentResourceV2("k3s-onprem:backup:Backup", name, inputs, b, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(b)
	keys := make([]*tls.PrivateKey, len(args.Servers))
	var publicKeys pulumi.StringArray
	for i, s := range args.Servers {
		if s.Client.Node != args.Host.Nodes[i] {
			return nil, fmt.Errorf("backup %s: server %d is %q, node %d is %q", name, i, s.Client.Node, i, args.Host.Nodes[i])
		}
		k, err := tls.NewPrivateKey(ctx, name+"-"+s.Client.Node+"-key", &tls.PrivateKeyArgs{Algorithm: pulumi.String("ED25519")}, parent)
		if err != nil {
			return nil, err
		}
		keys[i] = k
		publicKeys = append(publicKeys, k.PublicKeyOpenssh)
	}
	targetSteps, err := TargetSteps(args.Host)
	if err != nil {
		return nil, fmt.Errorf("backup %s: %w", name, err)
	}
	nodes := args.Host.Nodes
	// Public keys, but stdin is secret by rule (policy secrets-marked-secret).
	stdin := pulumi.ToSecret(publicKeys.ToStringArrayOutput().ApplyT(func(pub []string) string { return TargetStdin(nodes, pub) })).(pulumi.StringOutput)
	targetCmds, err := hoststep.ApplyChain(ctx, args.HostTarget, targetSteps, nil,
		func(hoststep.Step) (hoststep.Options, error) { return hoststep.Options{Stdin: stdin}, nil }, parent)
	if err != nil {
		return nil, err
	}
	prepared := targetCmds[len(targetCmds)-1]
	for i, s := range args.Servers {
		steps, err := ClientSteps(s.Client)
		if err != nil {
			return nil, fmt.Errorf("backup %s: %s: %w", name, s.Client.Node, err)
		}
		key := pulumi.ToSecret(keys[i].PrivateKeyOpenssh).(pulumi.StringOutput)
		cmds, err := hoststep.ApplyChain(ctx, s.Target, steps, append([]pulumi.Resource{prepared}, s.After...),
			func(hoststep.Step) (hoststep.Options, error) { return hoststep.Options{Stdin: key}, nil }, parent)
		if err != nil {
			return nil, err
		}
		b.Ready = append(b.Ready, cmds[len(cmds)-1])
	}
	return b, ctx.RegisterResourceOutputs(b, pulumi.Map{})
}
