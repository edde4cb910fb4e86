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

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
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
	t.Parallel() // no lab hosts: runs beside the lab tests
	requireEngine(t)
	ctx := context.Background()
	pack := buildPolicyPack(t)
	key := operatorKey(t)

	// The committed stacks, secrets set the README's way (`pulumi config
	// set --secret sshPrivateKey`, `--path 'falcoOutputUrls.slack'`).
	for _, stack := range []string{"dev", "prod"} {
		t.Run(stack+" passes", func(t *testing.T) {
			cfg := deepCopy(t, readStackConfig(t, stack))
			if ssh, ok := cfg[stacks.Project+":ssh"].(map[string]any); ok {
				delete(ssh, "privateKeyPath")
			}
			// The committed prod file holds undecryptable stand-ins for
			// its two secrets; a user replaces them as we do here.
			delete(cfg, stacks.Project+":"+stacks.KeySSHPrivateKey)
			delete(cfg, stacks.Project+":"+stacks.KeyFalcoOutputURLs)
			s := newStack(t, ctx, stack, cfg, map[string]string{stacks.KeySSHPrivateKey: key})
			if stack == "prod" {
				err := s.SetConfigWithOptions(ctx, stacks.KeyFalcoOutputURLs+".slack",
					auto.ConfigValue{Value: "https://hooks.slack.example/T000/B000/XXXX", Secret: true}, &auto.ConfigOptions{Path: true})
				if err != nil {
					t.Fatalf("pulumi config set --secret --path falcoOutputUrls.slack: %v", err)
				}
			}
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
			for _, urn := range kubernetesURNs(t, stack) {
				if rec.steps[urn] != apitype.OpCreate {
					t.Errorf("%s is not in the preview", urn)
				}
			}
			t.Logf("MEASURE %s preview with the policy pack: %v", stack, res.ChangeSummary)
			if stack == "dev" {
				writeCapture(t, "preview-dev.txt", res.StdOut)
			}
		})
	}

	t.Run("weakened dev is blocked", func(t *testing.T) {
		cfg := devWithSecretKey(t)
		cfg[stacks.Project+":ssh"].(map[string]any)["allowUnpinnedHostKeys"] = true
		for _, n := range cfg[stacks.Project+":nodes"].([]any) {
			delete(n.(map[string]any), "ssh")
		}
		s := newStack(t, ctx, "weak", cfg, map[string]string{stacks.KeySSHPrivateKey: key})
		rec := newRecorder()
		res, err := s.Preview(ctx, optpreview.PolicyPacks(pack), optpreview.EventStreams(rec.ch))
		rec.wait()
		if err == nil {
			t.Fatal("preview of a stack with unpinned host keys passed the policy pack")
		}
		writeCapture(t, "preview-weak.txt", res.StdOut+err.Error())
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

// kubernetesURNs is the Kubernetes provider and every Kubernetes object of
// the stack's mocked run, as engine URNs of stack: each must be in the
// preview (previewed by the kubernetes stand-in as the real provider does
// while the cluster is unreachable, and seen by the policy pack).
func kubernetesURNs(t *testing.T, stack string) []string {
	t.Helper()
	p, err := stacks.PlanStack("../..", stack, nil)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range p.Resources {
		if strings.HasPrefix(r.Type, "kubernetes:") || r.Type == "pulumi:providers:kubernetes" {
			out = append(out, r.URN)
		}
	}
	if len(out) == 0 {
		t.Fatalf("%s: no Kubernetes resources in the plan: nothing for the preview to prove", stack)
	}
	return out
}

// writeCapture keeps an engine output for the README's PR-review example
// when ENGINE_CAPTURE_DIR is set.
func writeCapture(t *testing.T, name, text string) {
	dir := os.Getenv("ENGINE_CAPTURE_DIR")
	if dir == "" {
		return
	}
	if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
		t.Error(err)
	}
}
