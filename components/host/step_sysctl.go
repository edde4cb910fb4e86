package host

import "k3s-onprem/internal/hoststep"

// sysctlStep sets the CIS 3.x network and kernel sysctls.
var sysctlStep = hoststep.Def[StepsInput]{
	Name: "sysctl",
	Skip: func(in StepsInput) string { return off(in.Hardening.Sysctls, "sysctls") },
	Build: func(StepsInput) (hoststep.Step, error) {
		s, err := RenderSysctl("CIS 3.x network and kernel hardening (safe subset)", HardeningSysctls)
		if err != nil {
			return hoststep.Step{}, err
		}
		return hoststep.Step{Name: "sysctl", Script: script("sysctl.sh"), Files: []hoststep.File{
			{Path: "/etc/sysctl.d/95-k3s-onprem-hardening.conf", Mode: 0o644, Content: s, Renderer: hoststep.Renderer{Func: "host.RenderSysctl", Source: "components/host/render.go"}},
		}, Vars: map[string]string{"CONTAINER_EXCEPTIONS": containerExceptionsFor("sysctl", sysctlKeys(HardeningSysctls))}}, nil
	},
}
