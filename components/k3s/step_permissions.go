package k3s

import "k3s-onprem/internal/hoststep"

// permissionsStep tightens the modes of k3s's files once it has
// created them (CIS 1.1.x).
var permissionsStep = hoststep.Def[StepsInput]{
	Name: StepPermissions,
	Build: func(StepsInput) (hoststep.Step, error) {
		return hoststep.Step{Name: StepPermissions, Script: script("permissions.sh")}, nil
	},
}
