package host

import "k3s-onprem/internal/hoststep"

// modprobeStep blacklists unused filesystems and protocols (CIS 1.1.1, 3.4).
var modprobeStep = hoststep.Def[StepsInput]{
	Name: "modprobe",
	Skip: func(in StepsInput) string { return off(in.Hardening.ModuleBlacklist, "moduleBlacklist") },
	Build: func(StepsInput) (hoststep.Step, error) {
		return hoststep.Step{Name: "modprobe", Script: script("files.sh"), Files: []hoststep.File{
			{Path: "/etc/modprobe.d/k3s-onprem-blacklist.conf", Mode: 0o644, Content: RenderModprobeBlacklist(BlacklistedModules), Renderer: hoststep.Renderer{Func: "host.RenderModprobeBlacklist", Source: "components/host/render.go"}},
			// Nothing to reload: modprobe reads the file on the next load.
		}, Vars: map[string]string{"RELOAD": ""}}, nil
	},
}
