package cis

import (
	"slices"
	"testing"

	"k3s-onprem/components/k3s"
	"k3s-onprem/internal/golden"
	"k3s-onprem/policy/policies"
)

func TestCitedIDs(t *testing.T) {
	for in, want := range map[string][]string{
		"k3s CIS 1.2.16-1.2.19, 3.2.1":            {"1.2.16", "1.2.17", "1.2.18", "1.2.19", "3.2.1"},
		"Kubernetes CIS 5.1.1, 1.2.1":             {"5.1.1", "1.2.1"},
		"Kubernetes CIS 5.2.1 (k3s >= 1.25)":      {"5.2.1"},
		"CIS Linux 5.2 (SSH); no k3s CIS control": nil,
		"k3s hardening guide (CIS 1.9 profile)":   nil,
	} {
		if got := CitedIDs(in); !slices.Equal(got, want) {
			t.Errorf("%q: %v, want %v", in, got, want)
		}
	}
}

func policyCitations() []PolicyCitation {
	var out []PolicyCitation
	for _, r := range policies.CISRefs() {
		out = append(out, PolicyCitation{Policy: r.Policy, CIS: r.CIS})
	}
	return out
}

// TestPolicyCitationsExistInTheBenchmark: every k3s/Kubernetes CIS id a
// policy cites is a check of k3s-cis-1.9 (the benchmark of every k3s
// version from 1.27 on) or of k3s-cis-1.24.
func TestPolicyCitationsExistInTheBenchmark(t *testing.T) {
	f, _ := LoadFacts()
	b19, _ := f.Benchmark("k3s-cis-1.9")
	b124, _ := f.Benchmark("k3s-cis-1.24")
	for _, p := range policyCitations() {
		for _, id := range CitedIDs(p.CIS) {
			_, in19 := b19.Check(id)
			_, in124 := b124.Check(id)
			if !in19 && !in124 {
				t.Errorf("%s cites %s, which neither benchmark has", p.Policy, id)
			}
		}
	}
}

// TestREADME_CrossReference: the top README's table of CIS ids (policy
// rule, kube-bench expectation, what makes it pass) is generated from the
// declarations; -update rewrites it.
func TestREADME_CrossReference(t *testing.T) {
	f, _ := LoadFacts()
	b, err := f.Benchmark("k3s-cis-1.9")
	if err != nil {
		t.Fatal(err)
	}
	n, err := RenderNode(sampleInput("v1.34.4+k3s1", k3s.RoleServer))
	if err != nil {
		t.Fatal(err)
	}
	rows := CrossReference(b, Expect(b, n), policyCitations())
	golden.AssertRegion(t, "../../README.md", "<!-- cis-crossref:begin -->\n", "<!-- cis-crossref:end -->\n", RenderCrossReference(b.Name, rows))
}
