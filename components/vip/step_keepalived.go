package vip

import (
	"fmt"
	"net/netip"

	"k3s-onprem/internal/hoststep"
)

// StepName is the keepalived step; resources are <node>-keepalived.
const StepName = "keepalived"

// keepalivedStep places keepalived's configuration (the password stays a
// placeholder; the script fills it from stdin), its health check, the
// nonlocal-bind sysctl and the unit drop-in.
var keepalivedStep = hoststep.Def[StepsInput]{
	Name:  StepName,
	Roles: []string{hoststep.RoleServer},
	Skip: func(in StepsInput) string {
		if in.Config.KubeVIP() {
			return "vip.implementation is kube-vip"
		}
		return ""
	},
	Build: buildKeepalived,
}

func buildKeepalived(in StepsInput) (hoststep.Step, error) {
	c := in.Config
	if in.Server < 0 || in.Server >= len(c.Servers) {
		return hoststep.Step{}, fmt.Errorf("server %d of %d", in.Server, len(c.Servers))
	}
	me := c.Servers[in.Server]
	prefix, err := netip.ParsePrefix(c.InternalCIDR)
	if err != nil {
		return hoststep.Step{}, fmt.Errorf("internal CIDR %q: %w", c.InternalCIDR, err)
	}
	check, err := RenderCheckScript(c.APIPort)
	if err != nil {
		return hoststep.Step{}, err
	}
	kc := KeepalivedConfig{
		RouterID:        me.Node,
		Priority:        MemberPriority(in.Server),
		Interface:       c.Interface,
		VirtualRouterID: c.VirtualRouterID,
		VIP:             c.Address,
		PrefixLen:       prefix.Bits(),
		AuthPass:        AuthPassPlaceholder,
	}
	if c.Unicast {
		kc.UnicastSrcIP = me.Address
		for _, p := range c.Servers {
			if p.Address != me.Address {
				kc.UnicastPeers = append(kc.UnicastPeers, p.Address)
			}
		}
	}
	conf, err := RenderKeepalivedConf(kc)
	if err != nil {
		return hoststep.Step{}, err
	}
	dropIn, err := RenderDropIn(kc)
	if err != nil {
		return hoststep.Step{}, err
	}
	return hoststep.Step{
		Name:   StepName,
		Script: keepalivedScript,
		Files: []hoststep.File{
			{Path: ConfTemplatePath, Mode: 0o600, Content: conf, Renderer: hoststep.Renderer{Func: "vip.RenderKeepalivedConf", Source: "components/vip/render.go"}},
			{Path: CheckScriptPath, Mode: 0o700, Content: check, Renderer: hoststep.Renderer{Func: "vip.RenderCheckScript", Source: "components/vip/render.go"}},
			{Path: SysctlPath, Mode: 0o644, Content: RenderSysctl(), Renderer: hoststep.Renderer{Func: "vip.RenderSysctl", Source: "components/vip/render.go"}},
			{Path: DropInPath, Mode: 0o644, Content: dropIn, Renderer: hoststep.Renderer{Func: "vip.RenderDropIn", Source: "components/vip/render.go"}},
		},
		Vars: map[string]string{"CONF": ConfPath, "CONF_TEMPLATE": ConfTemplatePath, "CHECK_SCRIPT": CheckScriptPath, "SYSCTL_FILE": SysctlPath, "DROP_IN": DropInPath},
	}, nil
}
