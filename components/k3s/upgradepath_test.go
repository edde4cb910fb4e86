package k3s_test

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"k3s-onprem/components/k3s"
	"k3s-onprem/tests/lab/labapi"
)

// TestBinaryStep_RefusesDowngradeAndSkippedMinor runs the k3s-binary
// step's own run.sh (air-gapped mode) with bash against an installed
// k3s that reports a version. Real: the script, bash, coreutils. Stand-in:
// the k3s binary (tests/lab/labapi's k3s-standin.sh, which only prints the
// version line k3s prints); the paths /usr/local/bin/k3s and the state
// directory are moved into a temporary directory.
func TestBinaryStep_RefusesDowngradeAndSkippedMinor(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("install -o root needs root")
	}
	for _, tc := range []struct {
		installed, want string
		refusal         string // "" = installs
	}{
		{"v1.34.4+k3s1", "v1.35.1+k3s1", ""},
		{"v1.34.4+k3s1", "v1.34.5+k3s1", ""},
		{"v1.34.4+k3s1", "v1.34.4+k3s2", ""},
		{"", "v1.34.4+k3s1", ""},
		{"v1.34.4+k3s1", "v1.36.3+k3s1", "skips a minor (k3s upgrades one minor at a time): set k3s.version to the newest v1.35.x first"},
		{"v1.35.1+k3s1", "v1.34.4+k3s1", "k3s.version v1.34.4+k3s1 is older and downgrades are not supported: set k3s.version to v1.35.1+k3s1 or newer"},
		{"v1.34.4+k3s2", "v1.34.4+k3s1", "downgrades are not supported"},
	} {
		t.Run(tc.installed+"->"+tc.want, func(t *testing.T) {
			out, err := runBinaryStep(t, tc.installed, tc.want)
			if tc.refusal == "" {
				if err != nil || !strings.Contains(out, "installed k3s "+tc.want) {
					t.Fatalf("not installed (%v):\n%s", err, out)
				}
				return
			}
			if err == nil || !strings.Contains(out, tc.refusal) || !strings.Contains(out, "node-1 runs k3s "+tc.installed) {
				t.Fatalf("want a refusal %q naming the node, got %v:\n%s", tc.refusal, err, out)
			}
			if strings.Contains(out, "installed k3s") {
				t.Errorf("refused, but the binary was replaced:\n%s", out)
			}
		})
	}
}

// runBinaryStep stages the step with the new binary as its air-gap upload
// and runs it over an installed stand-in reporting installed ("" = none).
func runBinaryStep(t *testing.T, installed, version string) (string, error) {
	dir := t.TempDir()
	bin, state := filepath.Join(dir, "bin", "k3s"), filepath.Join(dir, "state")
	stepDir := filepath.Join(dir, "steps", k3s.StepBinary)
	for _, d := range []string{filepath.Dir(bin), stepDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if installed != "" {
		if err := os.WriteFile(bin, labapi.K3sStandin(installed), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	upload := labapi.K3sStandin(version)
	sum := sha256.Sum256(upload)
	if err := os.WriteFile(filepath.Join(stepDir, "upload-k3s"), upload, 0o700); err != nil {
		t.Fatal(err)
	}
	steps, err := k3s.HostSteps(k3s.StepsInput{
		Cluster: k3s.ClusterConfig{Version: version, InternalCIDR: "10.0.0.0/24", ClusterCIDR: "10.42.0.0/16", ServiceCIDR: "10.43.0.0/16", VIP: "10.0.0.100"},
		Node:    k3s.NodeConfig{Name: "node-1", Role: k3s.RoleAgent, InternalAddress: "10.0.0.21", InternalInterface: "eth0"},
		Install: k3s.Install{Arch: "amd64", Airgap: &k3s.Airgap{BinaryPath: "/unused", BinarySHA256: hex.EncodeToString(sum[:])}},
	})
	if err != nil {
		t.Fatal(err)
	}
	var run string
	for _, s := range steps {
		if s.Name != k3s.StepBinary {
			continue
		}
		b, err := s.Render()
		if err != nil {
			t.Fatal(err)
		}
		run = string(b.Files[len(b.Files)-1].Content)
	}
	run = strings.Replace(run, "\nK3S_BIN=/usr/local/bin/k3s\n", "\nK3S_BIN="+bin+"\n", 1)
	run = strings.Replace(run, "\nK3S_STATE=/var/lib/k3s-onprem/k3s\n", "\nK3S_STATE="+state+"\n", 1)
	run = strings.Replace(run, "\nAIRGAP_IMAGES_DIR=", "\nAIRGAP_IMAGES_DIR='"+dir+"/images' #", 1)
	if !strings.Contains(run, bin) || !strings.Contains(run, state) {
		t.Fatal("run.sh no longer sets K3S_BIN and K3S_STATE on lines of their own")
	}
	if err := os.WriteFile(filepath.Join(stepDir, "run.sh"), []byte(run), 0o700); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("bash", filepath.Join(stepDir, "run.sh"), "apply").CombinedOutput()
	return string(out), err
}
