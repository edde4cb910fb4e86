package k3s

import "k3s-onprem/internal/hoststep"

// tokenStep writes the join tokens, which the component feeds on stdin.
var tokenStep = hoststep.Def[StepsInput]{
	Name: StepToken,
	Build: func(in StepsInput) (hoststep.Step, error) {
		return hoststep.Step{Name: StepToken, Script: script("token.sh"),
			Vars: map[string]string{"ROLE": in.Node.Role, "TOKEN_FILE": TokenPath, "AGENT_TOKEN_FILE": AgentTokenPath}}, nil
	},
}
