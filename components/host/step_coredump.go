package host

import "k3s-onprem/internal/hoststep"

// coredumpStep turns core dumps off (CIS 1.5.1).
var coredumpStep = hoststep.Def[StepsInput]{
	Name: "coredump",
	Skip: func(in StepsInput) string { return off(in.Hardening.CoreDumps, "coreDumps") },
	Build: func(StepsInput) (hoststep.Step, error) {
		return hoststep.Step{Name: "coredump", Script: script("files.sh"), Files: []hoststep.File{
			{Path: "/etc/systemd/coredump.conf.d/50-k3s-onprem.conf", Mode: 0o644, Content: []byte(CoredumpConf), Renderer: hoststep.Renderer{Func: "host.CoredumpConf", Source: "components/host/render.go"}},
			{Path: "/etc/security/limits.d/50-k3s-onprem.conf", Mode: 0o644, Content: []byte(LimitsConf), Renderer: hoststep.Renderer{Func: "host.LimitsConf", Source: "components/host/render.go"}},
		}, Vars: map[string]string{"RELOAD": "systemctl daemon-reload"}}, nil
	},
}
