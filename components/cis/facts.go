package cis

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"sort"
	"sync"

	"k3s-onprem/internal/upstream"
)

// Facts is the checked-in fact table of one kube-bench release: where its
// release assets are, which benchmark it picks for each k3s minor, and
// every check of those benchmarks (identifiers, kinds and what each one
// audits; no upstream prose). refresh/main.go writes it.
type Facts struct {
	Source  upstream.Source `json:"source"`
	Release Release         `json:"release"`
	// BenchmarkByMinor maps a Kubernetes minor ("1.34") to the benchmark
	// kube-bench selects for k3s; Fallback is used for minors not listed.
	BenchmarkByMinor map[string]string `json:"benchmarkByMinor"`
	Fallback         string            `json:"fallback"`
	Benchmarks       []Benchmark       `json:"benchmarks"`
}

// Release is how the pinned kube-bench release is published.
type Release struct {
	// Version is the release tag (v0.15.6).
	Version string `json:"version"`
	// Commit is the tag's commit.
	Commit string `json:"commit"`
	// Asset is the archive name with {version} (no "v") and {arch}.
	Asset string `json:"asset"`
	// Checksums is the release's sha256 list, same placeholders.
	Checksums string `json:"checksums"`
	// ConfigDir is where the archive's benchmark definitions are (relative
	// to the extracted archive); the binary needs it passed with --config-dir.
	ConfigDir string `json:"configDir"`
	// Binary is the executable's name inside the archive.
	Binary string `json:"binary"`
}

// Benchmark is one benchmark's checks, in the order kube-bench reports them.
type Benchmark struct {
	Name string `json:"name"`
	// Targets are the benchmark's target files (master, etcd, ...).
	Targets []string `json:"targets"`
	Checks  []Check  `json:"checks"`
}

// Check type values as the fact table spells them (kube-bench's `type:`
// field; empty upstream means automated).
const (
	TypeAutomated = "automated"
	TypeManual    = "manual"
	TypeSkip      = "skip"
)

// Check is one benchmark check as kube-bench declares it.
type Check struct {
	ID     string `json:"id"`
	Target string `json:"target"`
	Group  string `json:"group"`
	Type   string `json:"type"`
	Scored bool   `json:"scored"`
	// Audits says what the audit command reads: journal:<component> (the
	// component's "Running <component>" line in k3s's journal),
	// file:<path or kube-bench variable> (stat of a file), etcd-config,
	// kubeconfig:<var>, kubectl, or none.
	Audits []string `json:"audits"`
	// Fallback is what the audit prints when the audited component's
	// journal line is absent (a node without an API server): flag=value.
	Fallback string `json:"fallback,omitempty"`
	// BinOp combines Tests ("and" unless "or").
	BinOp string `json:"binOp,omitempty"`
	Tests []Test `json:"tests,omitempty"`
}

// Test is one test item: a flag (or a config path) and how it is compared.
// Set is kube-bench's `set:` (nil when absent): false means "passes when
// the flag is absent".
type Test struct {
	Flag  string `json:"flag,omitempty"`
	Path  string `json:"path,omitempty"`
	Op    string `json:"op,omitempty"`
	Value string `json:"value,omitempty"`
	Set   *bool  `json:"set,omitempty"`
}

// KubeBenchVersion is the kube-bench release the fact table describes and
// the default of cis.kubeBench.version.
const KubeBenchVersion = "v0.15.6"

//go:embed facts/kube-bench-v0.15.6.json
var factsJSON []byte

var (
	factsOnce sync.Once
	facts     *Facts
	factsErr  error
)

// LoadFacts returns the embedded fact table.
func LoadFacts() (*Facts, error) {
	factsOnce.Do(func() {
		var f Facts
		if err := json.Unmarshal(factsJSON, &f); err != nil {
			factsErr = fmt.Errorf("kube-bench fact table: %w", err)
			return
		}
		facts = &f
	})
	return facts, factsErr
}

// BenchmarkName is the benchmark kube-bench selects for a k3s cluster of
// Kubernetes minor 1.<minor>.
func (f *Facts) BenchmarkName(minor int) string {
	if b, ok := f.BenchmarkByMinor[fmt.Sprintf("1.%d", minor)]; ok {
		return b
	}
	return f.Fallback
}

// Benchmark returns the named benchmark's checks.
func (f *Facts) Benchmark(name string) (*Benchmark, error) {
	for i := range f.Benchmarks {
		if f.Benchmarks[i].Name == name {
			return &f.Benchmarks[i], nil
		}
	}
	names := make([]string, 0, len(f.Benchmarks))
	for _, b := range f.Benchmarks {
		names = append(names, b.Name)
	}
	sort.Strings(names)
	return nil, fmt.Errorf("benchmark %q is not in the kube-bench %s fact table (have %v)", name, f.Release.Version, names)
}

// Check returns the check with id.
func (b *Benchmark) Check(id string) (Check, bool) {
	for _, c := range b.Checks {
		if c.ID == id {
			return c, true
		}
	}
	return Check{}, false
}
