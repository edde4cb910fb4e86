package k3s

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"k3s-onprem/internal/hoststep"
)

// TestTokenStep_WritesFromStdin runs the real token step script with its
// files redirected into a temp dir: tokens arrive on stdin, land 0600, and a
// second run is a no-op.
func TestTokenStep_WritesFromStdin(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash not installed")
	}
	steps, err := HostSteps(StepsInput{Cluster: testCluster(versions["1.34"]), Node: server0, Install: Install{Arch: "amd64"}})
	if err != nil {
		t.Fatal(err)
	}
	var step hoststep.Step
	for _, s := range steps {
		if s.Name == StepToken {
			step = s
		}
	}
	dir := t.TempDir()
	step.Vars["TOKEN_FILE"] = filepath.Join(dir, "k3s", "cluster-token")
	step.Vars["AGENT_TOKEN_FILE"] = filepath.Join(dir, "k3s", "agent-token")
	b, err := step.Render()
	if err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(dir, "run.sh")
	if err := os.WriteFile(script, b.Files[len(b.Files)-1].Content, 0o700); err != nil {
		t.Fatal(err)
	}
	run := func(stdin string) (string, error) {
		cmd := exec.Command(bash, script, "apply")
		cmd.Stdin = strings.NewReader(stdin)
		out, err := cmd.Output()
		return strings.TrimSpace(string(out)), err
	}
	cluster, agentTok := strings.Repeat("c", 48), strings.Repeat("a", 48)
	if out, err := run(cluster + "\n" + agentTok + "\n"); err != nil || out != "changed" {
		t.Fatalf("first run: %q %v", out, err)
	}
	for path, want := range map[string]string{step.Vars["TOKEN_FILE"]: cluster, step.Vars["AGENT_TOKEN_FILE"]: agentTok} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %o", path, fi.Mode().Perm())
		}
		if got, _ := os.ReadFile(path); string(got) != want+"\n" {
			t.Errorf("%s = %q", path, got)
		}
	}
	if out, err := run(cluster + "\n" + agentTok + "\n"); err != nil || out != "unchanged" {
		t.Errorf("second run: %q %v", out, err)
	}
	if _, err := run("short\n"); err == nil {
		t.Error("a malformed token was accepted")
	}
	if strings.Contains(string(b.Files[len(b.Files)-1].Content), cluster) {
		t.Error("token in the script")
	}
}
