package k3s

import "k3s-onprem/internal/hoststep"

// vipGateStep waits on an agent until the API answers on the VIP: agents
// join through it.
var vipGateStep = hoststep.Def[StepsInput]{
	Name:  StepVIPGate,
	Roles: []string{RoleAgent},
	Build: func(in StepsInput) (hoststep.Step, error) {
		return hoststep.Step{Name: StepVIPGate, Script: script("vipgate.sh"),
			Vars: map[string]string{"VIP": in.Cluster.VIP, "WAIT_SECONDS": in.waitSeconds()}}, nil
	},
}
