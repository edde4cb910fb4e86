//go:build engine

package engine_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"golang.org/x/crypto/ssh"

	"k3s-onprem/stacks"
)

// buildPolicyPack compiles the k3s-cis pack as `make policy` does.
func buildPolicyPack(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "k3s-cis")
	cmd := exec.Command("go", "build", "-o", bin, "./policy")
	cmd.Dir = "../.."
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./policy: %v\n%s", err, out)
	}
	yml, err := os.ReadFile("../../policy/PulumiPolicy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "PulumiPolicy.yaml"), yml, 0o644); err != nil {
		t.Fatal(err)
	}
	return bin
}

// operatorKey is a throwaway operator key in the PEM form users put into
// the secret config.
func operatorKey(t *testing.T) string {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	blk, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(blk))
}

// devWithSecretKey is the committed dev stack with the operator key as the
// secret config value (the README's first route) instead of a key file.
func devWithSecretKey(t *testing.T) map[string]any {
	t.Helper()
	cfg := deepCopy(t, readStackConfig(t, "dev"))
	sshCfg := cfg[stacks.Project+":ssh"].(map[string]any)
	delete(sshCfg, "privateKeyPath")
	return cfg
}

// TestEngine_PolicyPackPreview: `pulumi preview --policy-pack bin/k3s-cis`
// of the dev stack passes under the real engine, and a weakened dev stack
// (host keys not pinned) is blocked by a mandatory violation whose message
// is what the user sees.
func TestEngine_PolicyPackPreview(t *testing.T) {
	requireEngine(t)
	ctx := context.Background()
	pack := buildPolicyPack(t)
	key := operatorKey(t)

	t.Run("dev passes", func(t *testing.T) {
		s := newStack(t, ctx, "dev", devWithSecretKey(t), map[string]string{stacks.KeySSHPrivateKey: key})
		rec := newRecorder()
		res, err := s.Preview(ctx, optpreview.PolicyPacks(pack), optpreview.EventStreams(rec.ch), optpreview.Diff())
		rec.wait()
		if err != nil {
			t.Fatalf("preview: %v", err)
		}
		for _, p := range rec.policy {
			if p.EnforcementLevel == "mandatory" {
				t.Errorf("mandatory violation %s on %s: %s", p.PolicyName, p.ResourceURN, p.Message)
			}
		}
		if !strings.Contains(res.StdOut, "k3s-cis") {
			t.Errorf("the preview does not name the policy pack:\n%s", res.StdOut)
		}
		t.Logf("dev preview: %v", res.ChangeSummary)
	})

	t.Run("weakened dev is blocked", func(t *testing.T) {
		cfg := devWithSecretKey(t)
		cfg[stacks.Project+":ssh"].(map[string]any)["allowUnpinnedHostKeys"] = true
		for _, n := range cfg[stacks.Project+":nodes"].([]any) {
			delete(n.(map[string]any), "ssh")
		}
		s := newStack(t, ctx, "weak", cfg, map[string]string{stacks.KeySSHPrivateKey: key})
		rec := newRecorder()
		_, err := s.Preview(ctx, optpreview.PolicyPacks(pack), optpreview.EventStreams(rec.ch))
		rec.wait()
		if err == nil {
			t.Fatal("preview of a stack with unpinned host keys passed the policy pack")
		}
		var msgs []string
		for _, p := range rec.policy {
			if p.EnforcementLevel == "mandatory" && p.PolicyName == "ssh-host-key-pinned" {
				msgs = append(msgs, p.Message)
			}
		}
		if len(msgs) == 0 {
			t.Fatalf("no mandatory ssh-host-key-pinned violation; policy events %+v; error %v", rec.policy, err)
		}
		t.Logf("blocked with %d mandatory violations, e.g.:\n%s", len(msgs), msgs[0])
	})
}
