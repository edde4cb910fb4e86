package k3s

import (
	"fmt"
	"maps"
	"strconv"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"k3s-onprem/internal/hoststep"
)

// Server-token rotation as k3s implements it (k3s-io/k3s v1.36.4+k3s1,
// e35ab347: pkg/cli/token/token.go Rotate, pkg/server/handlers/token.go
// TokenRequest, pkg/server/handlers/router.go): `k3s token rotate` PUTs
// {"newToken": ...} to the supervisor's /v1-k3s/token as user "server"
// with the current server password, trusting the server CA; the server
// updates its passwd file, rewrites <data-dir>/server/token and
// re-encrypts the bootstrap data with the new token. The CLI takes the new
// token only as a flag (a process argument), so the step sends the same
// request with curl, its credentials and body on curl's stdin.
const (
	tokenRotatePath     = "/v1-k3s/token"
	tokenRotateMethod   = "PUT"
	tokenRotateField    = "newToken"
	tokenRotateUser     = "server"
	ServerTokenDataPath = "/var/lib/rancher/k3s/server/token"
	ServerCAPath        = "/var/lib/rancher/k3s/server/tls/server-ca.crt"
)

// `k3s token rotate` arrived in k3s-io/k3s #8265 (merged 2023-10-09),
// between "Update to v1.28.2" (2023-09-19) and "Update to v1.28.3"
// (2023-10-19) on master. Backports to 1.25-1.27 exist (#8576-#8578), but
// their first releases are not verified here, so they are refused.
const (
	tokenRotateMinor28Patch = 3  // v1.28.3+k3s1
	tokenRotateAllFromMinor = 29 // every 1.29 release
)

// TokenRotateSupported reports whether a k3s release (minor, patch) has
// server-token rotation.
func TokenRotateSupported(minor, patch int) bool {
	return minor >= tokenRotateAllFromMinor || (minor == 28 && patch >= tokenRotateMinor28Patch)
}

// Token rotation steps; resources are <node>-<step>.
const (
	StepTokenRotate  = "k3s-token-rotate"
	StepTokenRestart = "k3s-token-restart"
)

// TokenGenerations are the generations of the join tokens
// (stacks.Rotation clusterToken and agentToken).
type TokenGenerations struct {
	Cluster int
	Agent   int
}

func (g TokenGenerations) vars() map[string]string {
	return map[string]string{"CLUSTER_TOKEN_GENERATION": strconv.Itoa(g.Cluster), "AGENT_TOKEN_GENERATION": strconv.Itoa(g.Agent)}
}

// TokenRotateStep rotates the server token on the first server (node);
// the new token arrives on stdin.
func TokenRotateStep(node string, generation int) hoststep.Step {
	return hoststep.Step{Name: StepTokenRotate, Script: script("tokenrotate.sh"), Vars: map[string]string{
		"NODE_NAME": node, "GENERATION": strconv.Itoa(generation), "WAIT_SECONDS": strconv.Itoa(DefaultWaitSeconds),
		"SERVER_TOKEN": ServerTokenDataPath, "SERVER_CA": ServerCAPath,
		"ROTATE_URL":    fmt.Sprintf("https://127.0.0.1:%d%s", APIPort, tokenRotatePath),
		"ROTATE_METHOD": tokenRotateMethod, "ROTATE_FIELD": tokenRotateField, "ROTATE_USER": tokenRotateUser,
	}}
}

// tokenRestartStep writes the node's token files from stdin and restarts
// k3s when its running process predates them, then waits until healthy.
func tokenRestartStep(node, role string, g TokenGenerations, waitSeconds string) hoststep.Step {
	vars := g.vars()
	maps.Copy(vars, map[string]string{
		"NODE_NAME": node, "ROLE": role, "UNIT": UnitName(role), "WAIT_SECONDS": waitSeconds,
		"TOKEN_FILE": TokenPath, "AGENT_TOKEN_FILE": AgentTokenPath,
	})
	if role == RoleAgent {
		// Agents hold no cluster token: its generation must not re-run them.
		delete(vars, "CLUSTER_TOKEN_GENERATION")
	}
	return hoststep.Step{Name: StepTokenRestart, Script: script("restart.sh", "tokenfiles.sh", "tokenrestart.sh"), Vars: vars}
}

// agentTokenRestartStep is an agent's token restart, last in its chain
// (after every server restarted with the new agent token).
var agentTokenRestartStep = hoststep.Def[StepsInput]{
	Name:  StepTokenRestart,
	Roles: []string{RoleAgent},
	Skip: func(in StepsInput) string {
		if in.Rotation.Tokens.Agent == 0 {
			return rotationNeverRaised
		}
		return ""
	},
	Build: func(in StepsInput) (hoststep.Step, error) {
		return tokenRestartStep(in.Node.Name, in.Node.Role, in.Rotation.Tokens, in.waitSeconds()), nil
	},
}

// TokenRotation registers the join-token rotation for raised generations:
// with rotation.clusterToken > 0, the server-token rotation on the first
// server after every server's gate (after); then, with either generation
// > 0, each server's token restart, one at a time. It returns the last
// step (after itself when both generations are 0). servers carry the
// tokens of NodeArgs (stdin of the restart steps).
func TokenRotation(ctx *pulumi.Context, servers []*Server, names []string, g TokenGenerations, token, agentToken pulumi.StringInput, after []pulumi.Resource) ([]pulumi.Resource, error) {
	if g.Cluster == 0 && g.Agent == 0 {
		return after, nil
	}
	if len(servers) == 0 || len(names) != len(servers) || token == nil || agentToken == nil {
		return nil, fmt.Errorf("token rotation: %d servers, %d names, tokens given: %t", len(servers), len(names), token != nil && agentToken != nil)
	}
	deps := after
	if g.Cluster > 0 {
		rot, err := hoststep.Apply(ctx, servers[0].Target, TokenRotateStep(names[0], g.Cluster),
			hoststep.Options{Stdin: pulumi.ToSecret(pulumi.Sprintf("%s\n", token)).(pulumi.StringOutput)},
			pulumi.Parent(servers[0]), pulumi.DependsOn(after))
		if err != nil {
			return nil, err
		}
		deps = []pulumi.Resource{rot}
	}
	stdin := pulumi.ToSecret(pulumi.Sprintf("%s\n%s\n", token, agentToken)).(pulumi.StringOutput)
	for i, s := range servers {
		cmd, err := hoststep.Apply(ctx, s.Target, tokenRestartStep(names[i], RoleServer, g, strconv.Itoa(DefaultWaitSeconds)),
			hoststep.Options{Stdin: stdin}, pulumi.Parent(s), pulumi.DependsOn(deps))
		if err != nil {
			return nil, err
		}
		deps = []pulumi.Resource{cmd}
	}
	return deps, nil
}
