package k3s

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"k3s-onprem/internal/hoststep"
)

// tokenStepRunner renders node's token step with its files, the agent
// data dir and the generation records redirected into a temp dir, and
// returns a function running it with stdin.
func tokenStepRunner(t *testing.T, node NodeConfig, g TokenGenerations) (dir string, run func(stdin string) (string, error)) {
	t.Helper()
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash not installed")
	}
	steps, err := HostSteps(StepsInput{Cluster: testCluster(versions["1.34"]), Node: node, Install: Install{Arch: "amd64"}, Rotation: Rotation{Tokens: g}})
	if err != nil {
		t.Fatal(err)
	}
	var step hoststep.Step
	for _, s := range steps {
		if s.Name == StepToken {
			step = s
		}
	}
	dir = t.TempDir()
	step.Vars["TOKEN_FILE"] = filepath.Join(dir, "etc", "cluster-token")
	step.Vars["AGENT_TOKEN_FILE"] = filepath.Join(dir, "etc", "agent-token")
	if node.Role == RoleServer {
		step.Vars["K3S_AGENT_DIR"] = filepath.Join(dir, "agent")
	}
	b, err := step.Render()
	if err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(string(b.Files[len(b.Files)-1].Content), "K3S_STATE=/var/lib/k3s-onprem/k3s", "K3S_STATE="+filepath.Join(dir, "state"))
	script := filepath.Join(dir, "run.sh")
	if err := os.WriteFile(script, []byte(text), 0o700); err != nil {
		t.Fatal(err)
	}
	return dir, func(stdin string) (string, error) {
		cmd := exec.Command(bash, script, "apply")
		cmd.Stdin = strings.NewReader(stdin)
		out, err := cmd.Output()
		return strings.TrimSpace(string(out)), err
	}
}

func readToken(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// TestTokenStep_ServerDefersARaisedGenerationToTheRestartStep: once k3s
// ran on a server, a changed token of a generation not yet applied stays
// out of its file (the server token is valid only after k3s-token-rotate;
// servers take up a new agent token one at a time); a fresh server writes
// it; after the restart step recorded the generation, the token step
// rewrites a drifted file again. Agents write theirs at once.
func TestTokenStep_ServerDefersARaisedGenerationToTheRestartStep(t *testing.T) {
	c0, a0 := strings.Repeat("c", 48), strings.Repeat("a", 48)
	c1, a1 := strings.Repeat("C", 48), strings.Repeat("A", 48)
	dir, run := tokenStepRunner(t, server0, TokenGenerations{Cluster: 1, Agent: 1})
	clusterFile, agentFile := filepath.Join(dir, "etc", "cluster-token"), filepath.Join(dir, "etc", "agent-token")

	// A fresh server (no agent dir yet) writes the tokens it is given.
	if out, err := run(c0 + "\n" + a0 + "\n"); err != nil || out != "changed" {
		t.Fatalf("fresh server: %q %v", out, err)
	}
	// k3s ran; generation 1 brings new tokens: both files stay.
	if err := os.MkdirAll(filepath.Join(dir, "agent"), 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := run(c1 + "\n" + a1 + "\n"); err != nil || out != "unchanged" {
		t.Fatalf("raised generation: %q %v", out, err)
	}
	if readToken(t, clusterFile) != c0 || readToken(t, agentFile) != a0 {
		t.Fatal("the token step replaced a token before its generation was applied")
	}
	// The restart step applied generation 1 (and wrote the files); a later
	// drift of the file is repaired by the token step.
	state := filepath.Join(dir, "state")
	if err := os.MkdirAll(state, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, kind := range []string{"cluster", "agent"} {
		if err := os.WriteFile(filepath.Join(state, kind+"-token-generation"), []byte("1\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := run(c1 + "\n" + a1 + "\n"); err != nil || out != "changed" {
		t.Fatalf("applied generation: %q %v", out, err)
	}
	if readToken(t, clusterFile) != c1 || readToken(t, agentFile) != a1 {
		t.Fatal("the token step left a drifted file of an applied generation")
	}

	// An agent that already runs k3s writes its new token at once (the
	// servers accept it before any agent step runs).
	dir, run = tokenStepRunner(t, agent, TokenGenerations{Agent: 1})
	if err := os.MkdirAll(filepath.Join(dir, "agent"), 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := run(a0 + "\n"); err != nil || out != "changed" {
		t.Fatalf("agent first run: %q %v", out, err)
	}
	if out, err := run(a1 + "\n"); err != nil || out != "changed" || readToken(t, filepath.Join(dir, "etc", "agent-token")) != a1 {
		t.Fatalf("agent, new token: %q %v", out, err)
	}
}
