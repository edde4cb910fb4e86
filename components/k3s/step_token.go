package k3s

import (
	"maps"

	"k3s-onprem/internal/hoststep"
)

// tokenStep writes the join tokens, which the component feeds on stdin.
// On a server that already ran k3s it leaves a changed token to the
// k3s-token-restart step (see token.sh), so the servers receive their
// generations as variables.
var tokenStep = hoststep.Def[StepsInput]{
	Name: StepToken,
	Build: func(in StepsInput) (hoststep.Step, error) {
		vars := map[string]string{"ROLE": in.Node.Role, "TOKEN_FILE": TokenPath, "AGENT_TOKEN_FILE": AgentTokenPath, "K3S_AGENT_DIR": AgentDataDir}
		if in.Node.Role == RoleServer {
			maps.Copy(vars, in.Rotation.Tokens.vars())
		}
		return hoststep.Step{Name: StepToken, Script: script("tokenfiles.sh", "token.sh"), Vars: vars}, nil
	},
}
