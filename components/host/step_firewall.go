package host

import "k3s-onprem/internal/hoststep"

// firewallStep places the firewalld zones and binds the interfaces to them.
var firewallStep = hoststep.Def[StepsInput]{
	Name: "firewall",
	Build: func(in StepsInput) (hoststep.Step, error) {
		internal, public, err := RenderZones(in.Firewall)
		if err != nil {
			return hoststep.Step{}, err
		}
		zoneIfaces := "internal=" + in.Firewall.InternalInterface
		if in.Firewall.ExternalInterface != "" {
			zoneIfaces += " public=" + in.Firewall.ExternalInterface
		}
		fw := hoststep.Step{
			Name:   "firewall",
			Script: script("firewall.sh"),
			Files: []hoststep.File{
				{Path: "/etc/firewalld/zones/internal.xml", Mode: 0o644, Content: internal, Renderer: hoststep.Renderer{Func: "host.RenderZones", Source: "components/host/render.go"}},
				{Path: "/etc/firewalld/zones/public.xml", Mode: 0o644, Content: public, Renderer: hoststep.Renderer{Func: "host.RenderZones", Source: "components/host/render.go"}},
			},
			Vars: map[string]string{"ZONE_INTERFACES": zoneIfaces},
		}
		if in.FirewallBackendIptables {
			fw.Vars["FIREWALL_BACKEND_IPTABLES"] = "1"
		}
		return fw, nil
	},
}
