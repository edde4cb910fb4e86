package k3s

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi-command/sdk/go/command/remote"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"k3s-onprem/internal/hoststep"
	"k3s-onprem/internal/hoststep/steptest"
	"k3s-onprem/internal/plan"
)

const (
	testToken      = "unitClusterToken"
	testAgentToken = "unitAgentToken"
)

func testTarget(node, host string) hoststep.Target {
	return hoststep.Target{Node: node, Connection: remote.ConnectionArgs{Host: pulumi.String(host), HostKey: pulumi.String("ssh-ed25519 AAAAunit")}}
}

func testInput(n NodeConfig) StepsInput {
	return StepsInput{Cluster: testCluster(versions["1.34"]), Node: n,
		Install: Install{ReleaseURL: "https://example.invalid/k3s", VerifyChecksum: true, Arch: "amd64"}}
}

// planNodes runs a first server, a joining server and an agent under
// mocks, each after a stand-in for its host's last step, chained as the
// stacks chain them.
func planNodes(t *testing.T) *plan.Plan {
	t.Helper()
	p, err := plan.Run("k3s-onprem", "unit", map[string]string{}, nil, func(ctx *pulumi.Context) error {
		token := pulumi.ToSecret(pulumi.String(testToken)).(pulumi.StringOutput)
		agentToken := pulumi.ToSecret(pulumi.String(testAgentToken)).(pulumi.StringOutput)
		ready := map[string]pulumi.Resource{}
		for _, n := range []string{server0.Name, server1.Name, agent.Name} {
			r, err := remote.NewCommand(ctx, n+"-host-ready", &remote.CommandArgs{
				Connection: remote.ConnectionArgs{Host: pulumi.String(n)}, Create: pulumi.String("true")})
			if err != nil {
				return err
			}
			ready[n] = r
		}
		s0, err := NewServer(ctx, server0.Name, &NodeArgs{Target: testTarget(server0.Name, "10.0.0.1"), Input: testInput(server0),
			After: []pulumi.Resource{ready[server0.Name]}, Token: token, AgentToken: agentToken})
		if err != nil {
			return err
		}
		s1, err := NewServer(ctx, server1.Name, &NodeArgs{Target: testTarget(server1.Name, "10.0.0.2"), Input: testInput(server1),
			After: []pulumi.Resource{ready[server1.Name], s0.Gate}, Token: token, AgentToken: agentToken})
		if err != nil {
			return err
		}
		_, err = NewAgent(ctx, agent.Name, &NodeArgs{Target: testTarget(agent.Name, "10.0.0.3"), Input: testInput(agent),
			After: []pulumi.Resource{ready[agent.Name], s1.Gate}, AgentToken: agentToken})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestNodes_StepsChainedUnderTheirComponent(t *testing.T) {
	p := planNodes(t)
	urn := func(typ, name string) string {
		r := p.Named(typ, name)
		if r == nil {
			t.Fatalf("no %s %s", typ, name)
		}
		return r.URN
	}
	for _, tc := range []struct {
		node  NodeConfig
		typ   string
		after []string
	}{
		{server0, "k3s-onprem:k3s:Server", []string{urn("command:remote:Command", "server-1-host-ready")}},
		{server1, "k3s-onprem:k3s:Server", []string{urn("command:remote:Command", "server-2-host-ready"), urn("command:remote:Command", "server-1-"+StepGate)}},
		{agent, "k3s-onprem:k3s:Agent", []string{urn("command:remote:Command", "agent-1-host-ready"), urn("command:remote:Command", "server-2-"+StepGate)}},
	} {
		comp := p.Named(tc.typ, tc.node.Name)
		if comp == nil {
			t.Fatalf("no %s %s", tc.typ, tc.node.Name)
		}
		if got := plan.Str(comp.Inputs, "role"); got != tc.node.Role {
			t.Errorf("%s: recorded role %q", tc.node.Name, got)
		}
		steps, err := HostSteps(testInput(tc.node))
		if err != nil {
			t.Fatal(err)
		}
		after := tc.after
		for _, s := range steps {
			cmd := steptest.Applied(t, p, tc.node.Name, s, comp.URN, after, false)
			after = []string{cmd.URN}
		}
		if last := steps[len(steps)-1].Name; tc.node.Role == RoleServer && last != StepGate {
			t.Errorf("%s: last step %s, want the gate", tc.node.Name, last)
		}
	}
}

func TestNodes_TokensReachHostsOnlyOnStdinAndSecret(t *testing.T) {
	p := planNodes(t)
	for _, n := range []string{server0.Name, server1.Name, agent.Name} {
		cmd := p.Named("command:remote:Command", n+"-"+StepToken)
		if cmd == nil {
			t.Fatalf("%s: no token step", n)
		}
		steptest.SecretInput(t, cmd, "stdin")
	}
	// Agents get only the agent token.
	agentStdin := p.Named("command:remote:Command", agent.Name+"-"+StepToken).Inputs["stdin"]
	if s := plan.Plain(agentStdin); s == nil || strings.Contains(s.(string), testToken) {
		t.Errorf("agent token stdin %v: want the agent token only", s)
	}
	steptest.NoneInClear(t, p, testToken)
	steptest.NoneInClear(t, p, testAgentToken)
}

func TestNewServer_RefusesAMissingToken(t *testing.T) {
	_, err := plan.Run("k3s-onprem", "unit", map[string]string{}, nil, func(ctx *pulumi.Context) error {
		_, err := NewServer(ctx, server0.Name, &NodeArgs{Target: testTarget(server0.Name, "10.0.0.1"), Input: testInput(server0),
			AgentToken: pulumi.String("x")})
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "no token given") {
		t.Errorf("error %v", err)
	}
}
