package cis

import (
	"testing"

	"k3s-onprem/components/k3s"
)

// TestFacts_CoverEverySupportedMinor: every k3s minor the program accepts
// (stacks.MinK3sMinor..MaxK3sMinor, 24..36) maps to a benchmark the fact
// table holds, with known check types and both roles' targets.
func TestFacts_CoverEverySupportedMinor(t *testing.T) {
	f, err := LoadFacts()
	if err != nil {
		t.Fatal(err)
	}
	if f.Release.Version != KubeBenchVersion || len(f.Release.Commit) != 40 {
		t.Errorf("release %+v", f.Release)
	}
	for minor := 24; minor <= 36; minor++ {
		b, err := f.Benchmark(f.BenchmarkName(minor))
		if err != nil {
			t.Errorf("1.%d: %v", minor, err)
			continue
		}
		targets := map[string]int{}
		for _, c := range b.Checks {
			targets[c.Target]++
			switch c.Type {
			case TypeAutomated, TypeManual, TypeSkip:
			default:
				t.Errorf("%s %s: type %q", b.Name, c.ID, c.Type)
			}
		}
		for _, role := range []string{k3s.RoleServer, k3s.RoleAgent} {
			for _, tg := range Targets(role) {
				if targets[tg] == 0 {
					t.Errorf("%s: no %s checks", b.Name, tg)
				}
			}
		}
	}
	if got := f.Release.AssetFor("arm64"); got != "kube-bench_0.15.6_linux_arm64.tar.gz" {
		t.Errorf("asset %s", got)
	}
	if got := f.Release.ChecksumsFile(); got != "kube-bench_0.15.6_checksums.txt" {
		t.Errorf("checksums %s", got)
	}
}
