package stacks

import (
	"fmt"
	"sort"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"k3s-onprem/components/cis"
	"k3s-onprem/internal/grammar"
)

// CIS configures the CIS verification (the cis config key).
type CIS struct {
	KubeBench KubeBench `json:"kubeBench"`
}

// KubeBench runs kube-bench on every node after the cluster is up.
type KubeBench struct {
	// Enabled runs it (default false: it downloads a release unless
	// archives are given).
	Enabled *bool `json:"enabled,omitempty"`
	// Version is the kube-bench release (default and only supported: the
	// fact table's, cis.KubeBenchVersion).
	Version string `json:"version,omitempty"`
	// ReleaseURL is the download base (mirror support).
	ReleaseURL string `json:"releaseUrl,omitempty"`
	// SHA256 pins the release archive per architecture (amd64, arm64);
	// without it the release's checksums file is the reference.
	SHA256 map[string]string `json:"sha256,omitempty"`
	// Archives are release archives on the operator's machine per
	// architecture (air-gap); each needs its sha256 pin.
	Archives map[string]string `json:"archives,omitempty"`
}

// DefaultKubeBenchReleaseURL is kube-bench's GitHub release download base.
const DefaultKubeBenchReleaseURL = "https://github.com/aquasecurity/kube-bench/releases/download"

func (k *KubeBench) applyDefaults() {
	if k.Enabled == nil {
		k.Enabled = boolPtr(false)
	}
	if k.Version == "" {
		k.Version = cis.KubeBenchVersion
	}
	if k.ReleaseURL == "" {
		k.ReleaseURL = DefaultKubeBenchReleaseURL
	}
}

var kubeBenchArches = []string{"amd64", "arm64"}

func validateCIS(s *ClusterSpec, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	k, kp := s.CIS.KubeBench, p.Child("kubeBench")
	if k.Version != cis.KubeBenchVersion {
		errs = append(errs, field.NotSupported(kp.Child("version"), k.Version, []string{cis.KubeBenchVersion + " (the release with a fact table, components/cis/facts)"}))
	}
	if err := grammar.HTTPSURL(k.ReleaseURL); err != nil {
		errs = append(errs, field.Invalid(kp.Child("releaseUrl"), k.ReleaseURL, err.Error()+"; e.g. "+DefaultKubeBenchReleaseURL))
	}
	for _, arch := range archKeys(k.SHA256) {
		if !contains(kubeBenchArches, arch) {
			errs = append(errs, field.NotSupported(kp.Child("sha256").Key(arch), arch, kubeBenchArches))
		} else if !sha256RE.MatchString(k.SHA256[arch]) {
			errs = append(errs, field.Invalid(kp.Child("sha256").Key(arch), k.SHA256[arch], "64 lowercase hex digits from the release's checksums file"))
		}
	}
	for _, arch := range archKeys(k.Archives) {
		ap := kp.Child("archives").Key(arch)
		switch {
		case !contains(kubeBenchArches, arch):
			errs = append(errs, field.NotSupported(ap, arch, kubeBenchArches))
		case k.Archives[arch] == "":
			errs = append(errs, field.Required(ap, "path of the release archive on the operator's machine"))
		case k.SHA256[arch] == "":
			errs = append(errs, field.Required(kp.Child("sha256").Key(arch), "an air-gap archive needs its sha256 pin"))
		}
	}
	return errs
}

func archKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// CISExpectation is the program's expectation of the benchmark for every
// node of a validated spec (pure; `make render` writes it whether or not
// kube-bench runs).
func CISExpectation(spec *ClusterSpec) (string, []cis.NodeExpectation, error) {
	f, err := cis.LoadFacts()
	if err != nil {
		return "", nil, err
	}
	bench := f.BenchmarkName(spec.KubeMinor())
	b, err := f.Benchmark(bench)
	if err != nil {
		return "", nil, err
	}
	var out []cis.NodeExpectation
	for _, n := range spec.Nodes {
		in, err := k3sNodeInput(spec, n, serverIndex(spec, n))
		if err != nil {
			return "", nil, err
		}
		r, err := cis.RenderNode(in)
		if err != nil {
			return "", nil, fmt.Errorf("%s: %w", n.Name, err)
		}
		out = append(out, cis.NodeExpectation{Node: n.Name, Role: n.Role, Checks: cis.Expect(b, r)})
	}
	return bench, out, nil
}

func serverIndex(spec *ClusterSpec, n Node) int {
	for i, s := range spec.Servers() {
		if s.Name == n.Name {
			return i
		}
	}
	return 0
}

// deployCIS runs kube-bench on every node once its k3s is healthy and
// the cluster layer exists, and exports each node's summary as `cis`.
func deployCIS(ctx *pulumi.Context, spec *ClusterSpec, hosts Hosts, k *K3sCluster, cl *ClusterLayer) error {
	kb := spec.CIS.KubeBench
	if !On(kb.Enabled) {
		return nil
	}
	install := cis.Install{Version: kb.Version, ReleaseURL: kb.ReleaseURL, SHA256: kb.SHA256, Archives: map[string]string{}}
	args := &cis.Args{Uploads: map[string]pulumi.AssetOrArchiveInput{}}
	for arch, p := range kb.Archives {
		resolved, err := LocalPath(p, projectDir(ctx))
		if err != nil {
			return fmt.Errorf("cis.kubeBench.archives.%s: %w", arch, err)
		}
		install.Archives[arch] = resolved
		args.Uploads[arch] = pulumi.NewFileAsset(resolved)
	}
	ready := k.NodeReady()
	for _, n := range spec.Nodes {
		in, err := k3sNodeInput(spec, n, serverIndex(spec, n))
		if err != nil {
			return err
		}
		after := append([]pulumi.Resource{}, cl.NamespacesReady...)
		if r := ready[n.Name]; r != nil {
			after = append(after, r)
		}
		args.Nodes = append(args.Nodes, cis.NodeArgs{
			Target: hosts[n.Name].Target, After: after,
			Input: cis.StepInput{Install: install, Arch: n.Arch, K3s: in},
		})
	}
	c, err := cis.NewCIS(ctx, spec.ClusterName+"-cis", args)
	if err != nil {
		return err
	}
	ctx.Export("cis", pulumi.Map{
		"kubeBench": pulumi.String(kb.Version),
		"benchmark": pulumi.String(c.Benchmark),
		"nodes":     c.Summaries,
	})
	return nil
}
