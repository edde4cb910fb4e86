package stacks

import (
	"slices"
	"strings"
	"testing"
)

// TestValidate_CIS: every problem of cis.kubeBench is reported at once,
// under its key path, before anything is registered.
func TestValidate_CIS(t *testing.T) {
	sum := strings.Repeat("0a", 32)
	cases := map[string]struct {
		kb   KubeBench
		want []string
	}{
		"defaults":        {KubeBench{}, nil},
		"pinned":          {KubeBench{Enabled: boolPtr(true), SHA256: map[string]string{"amd64": sum, "arm64": sum}}, nil},
		"air-gap":         {KubeBench{Enabled: boolPtr(true), Archives: map[string]string{"amd64": "~/kb.tgz"}, SHA256: map[string]string{"amd64": sum}}, nil},
		"unknown version": {KubeBench{Version: "v0.9.0"}, []string{"FieldValueNotSupported::cis.kubeBench.version"}},
		"plain http":      {KubeBench{ReleaseURL: "http://mirror.example/kb"}, []string{"FieldValueInvalid::cis.kubeBench.releaseUrl"}},
		"all at once": {KubeBench{
			SHA256:   map[string]string{"amd64": "ABC", "s390x": sum},
			Archives: map[string]string{"arm64": "/srv/kb.tgz", "ppc64le": "/x", "amd64": ""},
		}, []string{
			"FieldValueInvalid::cis.kubeBench.sha256[amd64]",
			"FieldValueRequired::cis.kubeBench.archives[amd64]",
			"FieldValueRequired::cis.kubeBench.sha256[arm64]",
			"FieldValueNotSupported::cis.kubeBench.archives[ppc64le]",
			"FieldValueNotSupported::cis.kubeBench.sha256[s390x]",
		}},
	}
	for name, c := range cases {
		s := validSpec()
		s.CIS.KubeBench = c.kb
		s.ApplyDefaults("test")
		var got []string
		for _, e := range errorSet(s.Validate()) {
			if strings.Contains(e, "::cis.") {
				got = append(got, e)
			}
		}
		want := slices.Clone(c.want)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s: got %v, want %v", name, got, want)
		}
	}
}

// TestCISExpectation_EveryNode: the offline expectation covers each node
// with its role's targets.
func TestCISExpectation_EveryNode(t *testing.T) {
	spec := prodSpec(t)
	bench, nodes, err := CISExpectation(spec)
	if err != nil {
		t.Fatal(err)
	}
	if bench != "k3s-cis-1.9" || len(nodes) != len(spec.Nodes) {
		t.Fatalf("benchmark %s, %d nodes", bench, len(nodes))
	}
	for _, n := range nodes {
		for _, e := range n.Checks {
			if n.Role == RoleAgent && e.Target != "node" {
				t.Errorf("%s: agent gets %s check %s", n.Node, e.Target, e.ID)
			}
		}
	}
}
