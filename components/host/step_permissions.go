package host

import "k3s-onprem/internal/hoststep"

// permissionsStep tightens the modes of system files (CIS 6.1).
var permissionsStep = hoststep.Def[StepsInput]{
	Name: "permissions",
	Skip: func(in StepsInput) string { return off(in.Hardening.FilePermissions, "filePermissions") },
	Build: func(StepsInput) (hoststep.Step, error) {
		return hoststep.Step{Name: "permissions", Script: script("permissions.sh")}, nil
	},
}
