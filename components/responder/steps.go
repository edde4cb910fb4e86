package responder

import "k3s-onprem/internal/hoststep"

// StepsInput is what one server's responder steps are rendered from.
type StepsInput struct {
	Port                int
	Namespace           string
	ProtectedNamespaces []string
	AllowNamespaces     []string
	// BinarySHA256 is the hex digest of the binary uploaded for this host;
	// it is in the command text, so a new build re-runs the step.
	BinarySHA256 string
}

// stepOrder is a server's responder steps (one step_<name>.go each).
var stepOrder = []hoststep.Def[StepsInput]{responderStep}

// HostSteps returns one server's responder steps in the order they run.
// It is pure, so the renderer, the mocks tests and the lab runner see the
// same steps.
func HostSteps(in StepsInput) ([]hoststep.Step, error) {
	return hoststep.Build(stepOrder, hoststep.RoleServer, in)
}
