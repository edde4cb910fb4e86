package k3s

import (
	"os/exec"
	"testing"

	"k3s-onprem/internal/hoststep"
)

// TestScripts_BashSyntax parses every generated step script with bash -n.
func TestScripts_BashSyntax(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash not installed")
	}
	var steps []hoststep.Step
	for _, n := range []NodeConfig{server0, server1, agent} {
		s, err := HostSteps(StepsInput{Cluster: testCluster(versions["1.34"]), Node: n, Install: Install{ReleaseURL: "https://example.invalid", VerifyChecksum: true, Arch: "amd64"},
			Rotation: Rotation{Certificates: 1, Tokens: TokenGenerations{Cluster: 1, Agent: 1}}})
		if err != nil {
			t.Fatal(err)
		}
		steps = append(steps, s...)
	}
	steps = append(steps, hoststep.Step{Name: StepKubeconfig, Script: script("kubeconfig.sh"), Vars: map[string]string{"VIP": "10.0.0.100", "WAIT_SECONDS": "1"}}, MemberStep("agent-1", 0))
	agentIn := StepsInput{Cluster: testCluster(versions["1.34"]), Node: agent, Install: Install{ReleaseURL: "https://example.invalid", Arch: "amd64"}}
	for _, build := range []func(StepsInput, Drain) (hoststep.Step, error){DrainStep, UncordonStep} {
		s, err := build(agentIn, Drain{Batch: "1/1"})
		if err != nil {
			t.Fatal(err)
		}
		steps = append(steps, s)
	}
	expiry, err := CertExpiryStep(agentIn)
	if err != nil {
		t.Fatal(err)
	}
	steps = append(steps, expiry, EncryptRotateStep("server-1", 1), EncryptRestartStep("server-1", 1), TokenRotateStep("server-1", 1),
		tokenRestartStep("server-1", RoleServer, TokenGenerations{Cluster: 1, Agent: 2}, "1"))
	for _, s := range steps {
		b, err := s.Render()
		if err != nil {
			t.Fatal(err)
		}
		run := b.Files[len(b.Files)-1].Content
		if unset := hoststep.UnsetVariables(string(run)); len(unset) > 0 {
			t.Errorf("%s reads %v without defining them", s.Name, unset)
		}
		cmd := exec.Command(bash, "-n")
		cmd.Stdin = bytesReader(run)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("%s: %v\n%s", s.Name, err, out)
		}
	}
}
