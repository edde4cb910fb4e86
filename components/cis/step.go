package cis

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"strings"

	"k3s-onprem/components/k3s"
	"k3s-onprem/internal/hoststep"
)

//go:embed scripts/kubebench.sh
var scriptFS embed.FS

// StepKubeBench is the host step's name; resources are <node>-kube-bench.
const StepKubeBench = "kube-bench"

// Paths on the nodes.
const (
	InstallDir = "/var/lib/k3s-onprem/kube-bench"
	ReportPath = InstallDir + "/report.json"
)

// Install is how the kube-bench release reaches the nodes.
type Install struct {
	// Version is the release tag; it must have a fact table (KubeBenchVersion).
	Version string
	// ReleaseURL is the download base; "/<version>/<asset>" is appended.
	ReleaseURL string
	// SHA256 pins the archive per architecture (amd64, arm64); without a
	// pin the release's checksums file is the reference.
	SHA256 map[string]string
	// Archives are operator-side archive paths per architecture
	// (air-gap); each needs its SHA256 pin.
	Archives map[string]string
}

// StepInput is one node's kube-bench step.
type StepInput struct {
	Install Install
	Arch    string
	// K3s is the node's k3s rendering input: its role, and a fingerprint
	// of its k3s steps so a k3s change re-runs the benchmark.
	K3s k3s.StepsInput
}

// Asset is the release archive name for an architecture.
func (r Release) AssetFor(arch string) string {
	return strings.NewReplacer("{version}", strings.TrimPrefix(r.Version, "v"), "{arch}", arch).Replace(r.Asset)
}

// ChecksumsFile is the release's checksums file name.
func (r Release) ChecksumsFile() string {
	return strings.NewReplacer("{version}", strings.TrimPrefix(r.Version, "v")).Replace(r.Checksums)
}

// BuildStep renders one node's kube-bench step (pure).
func BuildStep(in StepInput) (hoststep.Step, string, error) {
	f, err := LoadFacts()
	if err != nil {
		return hoststep.Step{}, "", err
	}
	if in.Install.Version != f.Release.Version {
		return hoststep.Step{}, "", fmt.Errorf("kube-bench %s: the fact table describes %s", in.Install.Version, f.Release.Version)
	}
	if in.Arch != "amd64" && in.Arch != "arm64" {
		return hoststep.Step{}, "", fmt.Errorf("node %s: arch %q: want amd64 or arm64", in.K3s.Node.Name, in.Arch)
	}
	minor, err := k3s.Minor(in.K3s.Cluster.Version)
	if err != nil {
		return hoststep.Step{}, "", err
	}
	bench := f.BenchmarkName(minor)
	fp, err := k3sFingerprint(in.K3s)
	if err != nil {
		return hoststep.Step{}, "", err
	}
	kubeconfig := ""
	if in.K3s.Node.Role == k3s.RoleServer {
		kubeconfig = k3s.KubeconfigPath
	}
	vars := map[string]string{
		"VERSION": f.Release.Version, "ASSET": f.Release.AssetFor(in.Arch), "CHECKSUMS": f.Release.ChecksumsFile(),
		"RELEASE_URL": in.Install.ReleaseURL, "ARCHIVE_SHA256": in.Install.SHA256[in.Arch], "AIRGAP": "0",
		"BENCHMARK": bench, "TARGETS": strings.Join(Targets(in.K3s.Node.Role), ","),
		"INSTALL_DIR": InstallDir, "REPORT": ReportPath, "K3S_BIN": k3s.BinaryPath, "KUBECONFIG_PATH": kubeconfig,
		"K3S_FINGERPRINT": fp, "REPORT_BEGIN": ReportBegin, "REPORT_END": ReportEnd,
	}
	if _, ok := in.Install.Archives[in.Arch]; ok {
		vars["AIRGAP"], vars["RELEASE_URL"] = "1", ""
	}
	body, err := scriptFS.ReadFile("scripts/kubebench.sh")
	if err != nil {
		return hoststep.Step{}, "", err
	}
	return hoststep.Step{Name: StepKubeBench, Script: string(body), Vars: vars}, bench, nil
}

// k3sFingerprint hashes the node's rendered k3s steps (scripts, files,
// variables).
func k3sFingerprint(in k3s.StepsInput) (string, error) {
	steps, err := k3s.HostSteps(in)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	for _, s := range steps {
		b, err := s.Render()
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s %s\n", s.Name, b.Hash)
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}
