package stacks

import (
	"slices"
	"strings"
	"testing"

	"k3s-onprem/components/k3s"
	"k3s-onprem/internal/plan"
)

// TestGraph_RotateClusterToken: raising rotation.clusterToken replaces the
// token secret, rotates it on the first server after every server's gate,
// then restarts each server with the new token file, one at a time; the
// agents and the kubeconfig wait for the last restart. The servers' token
// steps see the new token and generation (they leave the file to the
// restart step); agents do not change.
func TestGraph_RotateClusterToken(t *testing.T) {
	spec := prodSpec(t)
	servers := spec.Servers()
	names := []string{servers[0].Name + "-" + k3s.StepTokenRotate}
	var tokenSteps []string
	for _, n := range servers {
		names = append(names, n.Name+"-"+k3s.StepTokenRestart)
		tokenSteps = append(tokenSteps, n.Name+"-"+k3s.StepToken, n.Name+"-"+k3s.StepToken+"-copy-run.sh")
	}
	added, changed, p := rotationDiff(t, Rotation{}, Rotation{ClusterToken: 1})
	sameList(t, "added", added, stepResources(names...))
	sameList(t, "changed", changed, slices.Concat(tokenSteps, []string{"prod-k3s-token"}))
	checkTokenChain(t, p, spec, names)
	rot := copiedRunSh(t, p, names[0])
	for _, want := range []string{"GENERATION='1'", "ROTATE_URL='https://127.0.0.1:6443/v1-k3s/token'", "ROTATE_METHOD='PUT'", "ROTATE_FIELD='newToken'", "--config -"} {
		if !strings.Contains(rot, want) {
			t.Errorf("token-rotate script lacks %q", want)
		}
	}
	// Generation 2 re-runs the same steps, nothing more.
	_, changed, _ = rotationDiff(t, Rotation{ClusterToken: 1}, Rotation{ClusterToken: 2})
	var want []string
	for _, n := range names {
		want = append(want, n, n+"-copy-run.sh")
	}
	sameList(t, "changed by 1 -> 2", changed, slices.Concat(want, tokenSteps, []string{"prod-k3s-token"}))
}

// TestGraph_RotateAgentToken: raising rotation.agentToken restarts each
// server with the new agent token, one at a time (no server-token
// rotation), then each agent, last in its chain, after every server.
func TestGraph_RotateAgentToken(t *testing.T) {
	spec := prodSpec(t)
	var serverRestarts, agentRestarts, tokenSteps []string
	for _, n := range spec.Servers() {
		serverRestarts = append(serverRestarts, n.Name+"-"+k3s.StepTokenRestart)
		tokenSteps = append(tokenSteps, n.Name+"-"+k3s.StepToken, n.Name+"-"+k3s.StepToken+"-copy-run.sh")
	}
	for _, n := range spec.Agents() {
		agentRestarts = append(agentRestarts, n.Name+"-"+k3s.StepTokenRestart)
		tokenSteps = append(tokenSteps, n.Name+"-"+k3s.StepToken) // stdin only
	}
	added, changed, p := rotationDiff(t, Rotation{}, Rotation{AgentToken: 1})
	sameList(t, "added", added, stepResources(slices.Concat(serverRestarts, agentRestarts)...))
	sameList(t, "changed", changed, slices.Concat(tokenSteps, []string{"prod-k3s-agent-token"}))
	checkTokenChain(t, p, spec, serverRestarts)
	last := mustCmd(t, p, serverRestarts[len(serverRestarts)-1])
	for _, a := range spec.Agents() {
		r := mustCmd(t, p, a.Name+"-"+k3s.StepTokenRestart)
		if !p.DependsOnTransitively(r.URN, last.URN) {
			t.Errorf("%s does not wait for the servers' restarts", r.Name)
		}
		if perm := mustCmd(t, p, a.Name+"-"+k3s.StepPermissions); !p.DependsOnTransitively(r.URN, perm.URN) {
			t.Errorf("%s is not last in its chain", r.Name)
		}
		if s := copiedRunSh(t, p, r.Name); strings.Contains(s, "\nCLUSTER_TOKEN_GENERATION=") {
			t.Errorf("%s carries the cluster token generation (agents hold no cluster token)", r.Name)
		}
	}
}

// checkTokenChain: chain[0] follows the last server's gate, each step
// follows the one before, the agents and the kubeconfig wait for the last;
// every step gets its tokens as a secret on stdin, never in its script.
func checkTokenChain(t *testing.T, p *plan.Plan, spec *ClusterSpec, chain []string) {
	t.Helper()
	servers := spec.Servers()
	first := mustCmd(t, p, chain[0])
	if g := mustCmd(t, p, servers[len(servers)-1].Name+"-"+k3s.StepGate); !p.DependsOnTransitively(first.URN, g.URN) {
		t.Errorf("%s runs before the last server's gate", first.Name)
	}
	prev := first
	for _, n := range chain[1:] {
		r := mustCmd(t, p, n)
		if !contains(r.DependsOn, prev.URN) {
			t.Errorf("%s does not follow %s", r.Name, prev.Name)
		}
		prev = r
	}
	for _, a := range spec.Agents() {
		if vg := mustCmd(t, p, a.Name+"-"+k3s.StepVIPGate); !p.DependsOnTransitively(vg.URN, prev.URN) {
			t.Errorf("%s does not wait for the last token restart", vg.Name)
		}
	}
	if kc := mustCmd(t, p, servers[0].Name+"-"+k3s.StepKubeconfig); !p.DependsOnTransitively(kc.URN, prev.URN) {
		t.Errorf("the kubeconfig is read before the servers restarted")
	}
	for _, n := range chain {
		if stdin := mustCmd(t, p, n).Inputs["stdin"]; !stdin.ContainsSecrets() {
			t.Errorf("%s: the tokens are not a secret on stdin", n)
		}
		if s := copiedRunSh(t, p, n); strings.Contains(s, plan.MockSecretPrefix) {
			t.Errorf("%s: a token in the script", n)
		}
	}
}
