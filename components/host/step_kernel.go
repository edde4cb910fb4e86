package host

import (
	"strings"

	"k3s-onprem/internal/hoststep"
)

// kernelStep loads the modules and sets the sysctls k3s needs.
var kernelStep = hoststep.Def[StepsInput]{
	Name: "kernel",
	Build: func(StepsInput) (hoststep.Step, error) {
		k3sSysctl, err := RenderSysctl("sysctls required by k3s and protect-kernel-defaults", K3sSysctls)
		if err != nil {
			return hoststep.Step{}, err
		}
		return hoststep.Step{
			Name:   "kernel",
			Script: script("kernel.sh"),
			Files: []hoststep.File{
				{Path: "/etc/modules-load.d/k3s-onprem.conf", Mode: 0o644, Content: RenderModulesLoad(K3sModules), Renderer: hoststep.Renderer{Func: "host.RenderModulesLoad", Source: "components/host/render.go"}},
				{Path: "/etc/sysctl.d/90-k3s-onprem.conf", Mode: 0o644, Content: k3sSysctl, Renderer: hoststep.Renderer{Func: "host.RenderSysctl", Source: "components/host/render.go"}},
			},
			Vars: map[string]string{"CONTAINER_EXCEPTIONS": strings.TrimSpace(
				containerExceptionsFor("module", K3sModules) + " " + containerExceptionsFor("sysctl", sysctlKeys(K3sSysctls)))},
		}, nil
	},
}
