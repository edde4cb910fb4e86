package host

import "k3s-onprem/internal/hoststep"

// selinuxStep sets the SELinux mode (RHEL family; the script skips others).
var selinuxStep = hoststep.Def[StepsInput]{
	Name: "selinux",
	Skip: func(in StepsInput) string {
		if in.Hardening.SELinux == "off" {
			return "hardening.selinux is off"
		}
		return ""
	},
	Build: func(in StepsInput) (hoststep.Step, error) {
		return hoststep.Step{Name: "selinux", Script: script("selinux.sh"), Vars: map[string]string{"SELINUX_MODE": in.Hardening.SELinux}}, nil
	},
}
