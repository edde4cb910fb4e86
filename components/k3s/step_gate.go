package k3s

import "k3s-onprem/internal/hoststep"

// gateStep waits until a server is healthy (API ready, etcd member
// healthy, node Ready): the next server and the agents wait for it.
var gateStep = hoststep.Def[StepsInput]{
	Name:  StepGate,
	Roles: []string{RoleServer},
	Build: func(in StepsInput) (hoststep.Step, error) {
		return hoststep.Step{Name: StepGate, Script: script("gate.sh"),
			Vars: map[string]string{"NODE_NAME": in.Node.Name, "WAIT_SECONDS": in.waitSeconds()}}, nil
	},
}
