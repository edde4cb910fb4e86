package k3s

import "k3s-onprem/internal/hoststep"

// selinuxStep places the config.yaml.d drop-in that turns on k3s's SELinux
// support (the script installs it only where SELinux is enabled).
var selinuxStep = hoststep.Def[StepsInput]{
	Name: StepSELinux,
	Skip: func(in StepsInput) string {
		if !in.Cluster.SELinux {
			return "hardening.selinux is off"
		}
		return ""
	},
	Build: func(StepsInput) (hoststep.Step, error) {
		dropIn, err := RenderSELinuxDropIn()
		if err != nil {
			return hoststep.Step{}, err
		}
		return hoststep.Step{Name: StepSELinux, Script: script("selinux.sh"),
			Files: []hoststep.File{{Path: SELinuxDropInPath, Mode: 0o600, Content: dropIn,
				Renderer: hoststep.Renderer{Func: "k3s.RenderSELinuxDropIn", Source: "components/k3s/config.go"}}},
			Vars: map[string]string{"DROPIN": SELinuxDropInPath}}, nil
	},
}
