package k3s

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTokenStep_WritesFromStdin runs the real token step script with its
// files redirected into a temp dir: tokens arrive on stdin, land 0600, and a
// second run is a no-op.
func TestTokenStep_WritesFromStdin(t *testing.T) {
	dir, run := tokenStepRunner(t, server0, TokenGenerations{})
	tokenFile, agentFile := filepath.Join(dir, "etc", "cluster-token"), filepath.Join(dir, "etc", "agent-token")
	cluster, agentTok := strings.Repeat("c", 48), strings.Repeat("a", 48)
	if out, err := run(cluster + "\n" + agentTok + "\n"); err != nil || out != "changed" {
		t.Fatalf("first run: %q %v", out, err)
	}
	for path, want := range map[string]string{tokenFile: cluster, agentFile: agentTok} {
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
	if script, _ := os.ReadFile(filepath.Join(dir, "run.sh")); strings.Contains(string(script), cluster) {
		t.Error("token in the script")
	}
}
