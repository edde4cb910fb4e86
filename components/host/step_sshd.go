package host

import "k3s-onprem/internal/hoststep"

// sshdStep hardens sshd (CIS 5.2) and places the login banner.
var sshdStep = hoststep.Def[StepsInput]{
	Name: "sshd",
	Skip: func(in StepsInput) string { return off(in.Hardening.SSHD, "sshd") },
	Build: func(in StepsInput) (hoststep.Step, error) {
		sshd, err := RenderSSHD(in.Hardening.PermitRootLogin)
		if err != nil {
			return hoststep.Step{}, err
		}
		return hoststep.Step{Name: "sshd", Script: script("sshd.sh"), Files: []hoststep.File{
			{Path: "/etc/ssh/sshd_config.d/00-k3s-onprem.conf", Mode: 0o600, Content: sshd, Renderer: hoststep.Renderer{Func: "host.RenderSSHD", Source: "components/host/render.go"}},
			{Path: "/etc/issue.net", Mode: 0o644, Content: []byte(Banner), Renderer: hoststep.Renderer{Func: "host.Banner", Source: "components/host/render.go"}},
		}}, nil
	},
}
