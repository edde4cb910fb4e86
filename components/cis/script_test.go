package cis

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"k3s-onprem/components/k3s"
	"k3s-onprem/internal/hoststep"
)

// standinArchive packs tests/kubebench-standin (a stand-in for the
// kube-bench binary, see its README) with the synthetic report into a
// release-shaped archive and returns its path and sha256.
func standinArchive(t *testing.T, dir string) (string, string) {
	t.Helper()
	src := filepath.Join(dir, "archive")
	for _, d := range []string{src, filepath.Join(src, "cfg")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	copyFile := func(from, to string, mode os.FileMode) {
		b, err := os.ReadFile(from)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(to, b, mode); err != nil {
			t.Fatal(err)
		}
	}
	copyFile("../../tests/kubebench-standin/kube-bench", filepath.Join(src, "kube-bench"), 0o755)
	copyFile("testdata/synthetic/kube-bench-k3s-cis-1.9-server.json", filepath.Join(src, "report.json"), 0o644)
	if err := os.WriteFile(filepath.Join(src, "cfg", "config.yaml"), []byte("---\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	archive := filepath.Join(dir, "kube-bench.tar.gz")
	if out, err := exec.Command("tar", "-czf", archive, "-C", src, ".").CombinedOutput(); err != nil {
		t.Fatalf("tar: %v\n%s", err, out)
	}
	b, err := os.ReadFile(archive)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return archive, hex.EncodeToString(sum[:])
}

// stage writes the step's bundle under root (as the hoststep copies would
// under its state directory) and returns the run.sh path.
func stage(t *testing.T, s hoststep.Step, root string) string {
	t.Helper()
	b, err := s.Render()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "steps", s.Name)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, f := range b.Files {
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f.RemotePath)), f.Content, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "run.sh")
}

func runStep(t *testing.T, runSh, action string) (string, error) {
	t.Helper()
	cmd := exec.Command("bash", runSh, action)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return string(out) + stderr.String(), err
	}
	return string(out), nil
}

// TestKubeBenchScript_InstallRunRerunDelete runs the real host script
// (air-gap mode) on this machine against the stand-in: the archive is
// verified and installed once, the report comes back framed and parses,
// a re-run does not reinstall, a wrong pin is refused before anything is
// unpacked, and delete removes the installation.
func TestKubeBenchScript_InstallRunRerunDelete(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash not installed")
	}
	root := t.TempDir()
	archive, sum := standinArchive(t, root)
	in := StepInput{
		Install: Install{Version: KubeBenchVersion, SHA256: map[string]string{"amd64": sum}, Archives: map[string]string{"amd64": archive}},
		Arch:    "amd64", K3s: sampleInput("v1.34.4+k3s1", k3s.RoleServer),
	}
	step, bench, err := BuildStep(in)
	if err != nil {
		t.Fatal(err)
	}
	install := filepath.Join(root, "kube-bench")
	step.Vars["INSTALL_DIR"], step.Vars["REPORT"] = install, filepath.Join(install, "report.json")
	step.Vars["K3S_BIN"], step.Vars["KUBECONFIG_PATH"] = "/bin/true", ""
	runSh := stage(t, step, root)
	upload := filepath.Join(filepath.Dir(runSh), "upload-"+step.Vars["ASSET"])
	b, _ := os.ReadFile(archive)
	if err := os.WriteFile(upload, b, 0o600); err != nil {
		t.Fatal(err)
	}
	_, es := expectFor(t, "v1.34.4+k3s1", k3s.RoleServer)

	out, err := runStep(t, runSh, "apply")
	if err != nil {
		t.Fatalf("apply: %v\n%s", err, out)
	}
	if !strings.HasSuffix(out, "changed\n") || strings.HasSuffix(out, "unchanged\n") {
		t.Errorf("first apply does not report a change:\n%.300s", out[max(0, len(out)-300):])
	}
	v, err := SummaryOutput("server-1", bench, out, es)
	if err != nil {
		t.Fatal(err)
	}
	if m := v.(map[string]any); m["pass"] != float64(77) || m["fail"] != float64(4) {
		t.Errorf("summary from the script's stdout: %v", m)
	}
	last, _ := os.ReadFile(filepath.Join(install, KubeBenchVersion, "last-run"))
	if string(last) != "k3s-cis-1.9 master,etcd,controlplane,node,policies\n" {
		t.Errorf("kube-bench ran with %q", last)
	}
	if fi, err := os.Stat(filepath.Join(install, "report.json")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("report on the node: %v %v", fi, err)
	}

	out, err = runStep(t, runSh, "apply")
	if err != nil || !strings.HasSuffix(out, "unchanged\n") {
		t.Errorf("re-run: %v, ends %q", err, out[max(0, len(out)-20):])
	}

	step.Vars["ARCHIVE_SHA256"] = strings.Repeat("0", 64)
	runSh = stage(t, step, root)
	if out, err := runStep(t, runSh, "apply"); err == nil || !strings.Contains(out, "want "+strings.Repeat("0", 64)) {
		t.Errorf("a wrong pin is accepted: %v\n%s", err, out)
	}

	if out, err := runStep(t, runSh, "delete"); err != nil {
		t.Fatalf("delete: %v\n%s", err, out)
	}
	if _, err := os.Stat(install); !os.IsNotExist(err) {
		t.Errorf("delete left %s: %v", install, err)
	}
}

// TestKubeBenchScript_DefinesWhatItReads: every variable the script reads
// is set by BuildStep or lib.sh in both install modes (set -u).
func TestKubeBenchScript_DefinesWhatItReads(t *testing.T) {
	for name, inst := range map[string]Install{
		"download": {Version: KubeBenchVersion, ReleaseURL: "https://example.invalid/releases"},
		"air-gap":  {Version: KubeBenchVersion, Archives: map[string]string{"arm64": "/x"}, SHA256: map[string]string{"arm64": strings.Repeat("a", 64)}},
	} {
		s, _, err := BuildStep(StepInput{Install: inst, Arch: "arm64", K3s: sampleInput("v1.34.4+k3s1", k3s.RoleAgent)})
		if err != nil {
			t.Fatal(err)
		}
		b, err := s.Render()
		if err != nil {
			t.Fatal(err)
		}
		if unset := hoststep.UnsetVariables(string(b.Files[len(b.Files)-1].Content)); len(unset) > 0 {
			t.Errorf("%s: reads unset %v", name, unset)
		}
		if s.Vars["TARGETS"] != "node" || s.Vars["KUBECONFIG_PATH"] != "" || s.Vars["ASSET"] != "kube-bench_0.15.6_linux_arm64.tar.gz" {
			t.Errorf("%s: agent vars %v", name, s.Vars)
		}
	}
}
