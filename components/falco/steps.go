package falco

import "k3s-onprem/internal/hoststep"

// StepsInput is what a node's Falco steps are rendered from.
type StepsInput struct {
	// Version is the Falco package version (falco.version).
	Version string
	// Server loads the k8saudit plugin (the API server runs there).
	Server bool
	// SidekickURL is Falco's http_output target.
	SidekickURL string
	// Package sources; empty means the Default* constants.
	KeyURL, DebRepo, RPMRepo string
}

// stepOrder is a node's Falco steps (one step_<name>.go each).
var stepOrder = []hoststep.Def[StepsInput]{falcoStep}

// HostSteps returns one node's Falco steps in the order they run. It is
// pure, so the renderer, the mocks tests and the lab runner see the same
// steps.
func HostSteps(in StepsInput) ([]hoststep.Step, error) {
	role := hoststep.RoleAgent
	if in.Server {
		role = hoststep.RoleServer
	}
	return hoststep.Build(stepOrder, role, in)
}
