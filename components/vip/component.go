package vip

import (
	"fmt"
	"net/netip"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	_ "embed"

	"k3s-onprem/internal/hoststep"
)

//go:embed scripts/keepalived.sh
var keepalivedScript string

// StepName is the keepalived step; resources are <node>-keepalived.
const StepName = "keepalived"

// Member is one server that may hold the VIP.
type Member struct {
	Target hoststep.Target
	// Address is the server's internal address (unicast source/peer).
	Address string
	// After is what the keepalived step waits for (the host's last step).
	After []pulumi.Resource
}

// Args configures the VIP.
type Args struct {
	// Address is the VIP; InternalCIDR gives its prefix length.
	Address      string
	InternalCIDR string
	Interface    string
	// VirtualRouterID must be unique on the segment.
	VirtualRouterID int
	// Unicast lists the peers explicitly instead of multicast.
	Unicast bool
	// APIPort is the port the health check probes on 127.0.0.1.
	APIPort int
	Members []Member
	// AuthPass is the VRRP password (secret, at most 8 characters); it
	// reaches the hosts only on the step's stdin.
	AuthPass pulumi.StringInput
}

// VIP is keepalived on every server.
type VIP struct {
	pulumi.ResourceState

	// Address is the VIP.
	Address pulumi.StringOutput `pulumi:"address"`
	// Ready are the keepalived steps; depend on them before using the VIP.
	Ready []pulumi.Resource
}

// NewVIP registers one keepalived step per server.
func NewVIP(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*VIP, error) {
	v := &VIP{}
	inputs := pulumi.Map{
		"address":         pulumi.String(args.Address),
		"interface":       pulumi.String(args.Interface),
		"virtualRouterId": pulumi.Int(args.VirtualRouterID),
		"unicast":         pulumi.Bool(args.Unicast),
	}
	if err := ctx.RegisterComponentResourceV2("k3s-onprem:vip:VIP", name, inputs, v, opts...); err != nil {
		return nil, err
	}
	steps, err := Steps(args)
	if err != nil {
		return nil, fmt.Errorf("vip %s: %w", name, err)
	}
	for i, m := range args.Members {
		cmd, err := hoststep.Apply(ctx, m.Target, steps[i], hoststep.Options{Stdin: pulumi.ToSecret(pulumi.Sprintf("%s\n", args.AuthPass)).(pulumi.StringOutput)},
			pulumi.Parent(v), pulumi.DependsOn(m.After))
		if err != nil {
			return nil, err
		}
		v.Ready = append(v.Ready, cmd)
	}
	v.Address = pulumi.String(args.Address).ToStringOutput()
	return v, ctx.RegisterResourceOutputs(v, pulumi.Map{"address": v.Address})
}

// Steps returns each member's keepalived step (pure; same order as Members).
func Steps(args *Args) ([]hoststep.Step, error) {
	prefix, err := netip.ParsePrefix(args.InternalCIDR)
	if err != nil {
		return nil, fmt.Errorf("internal CIDR %q: %w", args.InternalCIDR, err)
	}
	check, err := RenderCheckScript(args.APIPort)
	if err != nil {
		return nil, err
	}
	var steps []hoststep.Step
	for i, m := range args.Members {
		c := KeepalivedConfig{
			RouterID:        m.Target.Node,
			Priority:        MemberPriority(i),
			Interface:       args.Interface,
			VirtualRouterID: args.VirtualRouterID,
			VIP:             args.Address,
			PrefixLen:       prefix.Bits(),
			AuthPass:        AuthPassPlaceholder,
		}
		if args.Unicast {
			c.UnicastSrcIP = m.Address
			for _, p := range args.Members {
				if p.Address != m.Address {
					c.UnicastPeers = append(c.UnicastPeers, p.Address)
				}
			}
		}
		conf, err := RenderKeepalivedConf(c)
		if err != nil {
			return nil, err
		}
		dropIn, err := RenderDropIn(c)
		if err != nil {
			return nil, err
		}
		steps = append(steps, hoststep.Step{
			Name:   StepName,
			Script: keepalivedScript,
			Files: []hoststep.File{
				{Path: ConfTemplatePath, Mode: 0o600, Content: conf},
				{Path: CheckScriptPath, Mode: 0o700, Content: check},
				{Path: SysctlPath, Mode: 0o644, Content: RenderSysctl()},
				{Path: DropInPath, Mode: 0o644, Content: dropIn},
			},
			Vars: map[string]string{"CONF": ConfPath, "CONF_TEMPLATE": ConfTemplatePath, "CHECK_SCRIPT": CheckScriptPath, "SYSCTL_FILE": SysctlPath, "DROP_IN": DropInPath},
		})
	}
	return steps, nil
}
