package vip

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"k3s-onprem/internal/hoststep"
)

// Member is where one server of Config.Servers runs its VIP step.
type Member struct {
	Target hoststep.Target
	// After is what the VIP step waits for: the host's last step for
	// keepalived, the server's k3s health gate for kube-vip (it elects
	// through the local API server).
	After []pulumi.Resource
}

// Args configures the VIP.
type Args struct {
	// Config is the pure part: address, VRRP settings and the servers.
	Config Config
	// Members are the servers' hosts, in the order of Config.Servers.
	Members []Member
	// AuthPass is the VRRP password (secret, at most 8 characters); it
	// reaches the hosts only on the keepalived step's stdin. kube-vip has
	// none.
	AuthPass pulumi.StringInput
}

// VIP is keepalived or kube-vip on every server.
type VIP struct {
	pulumi.ResourceState

	// Address is the VIP.
	Address pulumi.StringOutput `pulumi:"address"`
	// Ready are the VIP steps; depend on them before using the VIP.
	Ready []pulumi.Resource
}

// NewVIP registers one VIP step per server.
func NewVIP(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*VIP, error) {
	c := args.Config
	if len(args.Members) != len(c.Servers) {
		return nil, fmt.Errorf("vip %s: %d members for %d servers", name, len(args.Members), len(c.Servers))
	}
	for i, m := range args.Members {
		if m.Target.Node != c.Servers[i].Node {
			return nil, fmt.Errorf("vip %s: member %d is %q, server %d is %q", name, i, m.Target.Node, i, c.Servers[i].Node)
		}
	}
	v := &VIP{}
	impl := c.Implementation
	if impl == "" {
		impl = ImplKeepalived
	}
	inputs := pulumi.Map{
		"implementation":  pulumi.String(impl),
		"address":         pulumi.String(c.Address),
		"interface":       pulumi.String(c.Interface),
		"virtualRouterId": pulumi.Int(c.VirtualRouterID),
		"unicast":         pulumi.Bool(c.Unicast),
	}
	if err := ctx.RegisterComponentResourceV2("k3s-onprem:vip:VIP", name, inputs, v, opts...); err != nil {
		return nil, err
	}
	perServer := make([][]hoststep.Step, len(args.Members))
	for i := range args.Members {
		steps, err := HostSteps(StepsInput{Config: c, Server: i})
		if err != nil {
			return nil, fmt.Errorf("vip %s: %w", name, err)
		}
		perServer[i] = steps
	}
	// The password reaches the servers only on stdin.
	options := func(s hoststep.Step) (hoststep.Options, error) {
		if s.Name != StepName {
			return hoststep.Options{}, nil
		}
		if args.AuthPass == nil {
			return hoststep.Options{}, fmt.Errorf("vip %s: keepalived needs the VRRP password", name)
		}
		return hoststep.Options{Stdin: pulumi.ToSecret(pulumi.Sprintf("%s\n", args.AuthPass)).(pulumi.StringOutput)}, nil
	}
	for i, m := range args.Members {
		cmds, err := hoststep.ApplyChain(ctx, m.Target, perServer[i], m.After, options, pulumi.Parent(v))
		if err != nil {
			return nil, err
		}
		for _, c := range cmds {
			v.Ready = append(v.Ready, c)
		}
	}
	v.Address = pulumi.String(c.Address).ToStringOutput()
	return v, ctx.RegisterResourceOutputs(v, pulumi.Map{"address": v.Address})
}
