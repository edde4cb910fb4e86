// Package host prepares one node for k3s over SSH: OS baseline packages,
// kernel modules and sysctls, firewalld zones, SELinux and a CIS
// OS-hardening profile. Each part is a converge step (internal/hoststep).
package host

import (
	"github.com/pulumi/pulumi-command/sdk/go/command/remote"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"k3s-onprem/internal/hoststep"
)

// Host is a prepared node.
type Host struct {
	pulumi.ResourceState

	// Target is how later components run steps on this node.
	Target hoststep.Target
	// Ready is the last host step; later steps depend on it.
	Ready pulumi.Resource
}

// Args configures a Host.
type Args struct {
	// Node is the node name; resource names start with it.
	Node string
	// Role is server or agent (recorded for policies).
	Role string
	// Connection is the pinned SSH connection (secret: it holds the key).
	Connection remote.ConnectionInput
	// Sudo runs steps with sudo -n when the SSH user is not root.
	Sudo  bool
	Steps StepsInput
}

// NewHost registers the host steps as one dependency chain.
func NewHost(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*Host, error) {
	h := &Host{Target: hoststep.Target{Node: args.Node, Connection: args.Connection, Sudo: args.Sudo}}
	inputs := pulumi.Map{
		"node":       pulumi.String(args.Node),
		"role":       pulumi.String(args.Role),
		"connection": args.Connection,
		"hardening": pulumi.Map{
			"sshd": pulumi.Bool(args.Steps.Hardening.SSHD), "auditd": pulumi.Bool(args.Steps.Hardening.Auditd),
			"moduleBlacklist": pulumi.Bool(args.Steps.Hardening.ModuleBlacklist), "sysctls": pulumi.Bool(args.Steps.Hardening.Sysctls),
			"coreDumps": pulumi.Bool(args.Steps.Hardening.CoreDumps), "filePermissions": pulumi.Bool(args.Steps.Hardening.FilePermissions),
			"selinux": pulumi.String(args.Steps.Hardening.SELinux), "permitRootLogin": pulumi.String(args.Steps.Hardening.PermitRootLogin),
		},
	}
	if err := ctx.RegisterComponentResourceV2("k3s-onprem:host:Host", name, inputs, h, opts...); err != nil {
		return nil, err
	}
	steps, err := HostSteps(args.Steps)
	if err != nil {
		return nil, err
	}
	cmds, err := hoststep.ApplyChain(ctx, h.Target, steps, nil, nil, pulumi.Parent(h))
	if err != nil {
		return nil, err
	}
	h.Ready = cmds[len(cmds)-1]
	return h, ctx.RegisterResourceOutputs(h, pulumi.Map{})
}
