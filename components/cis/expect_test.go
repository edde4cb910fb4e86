package cis

import (
	"strconv"
	"testing"

	"k3s-onprem/components/k3s"
	"k3s-onprem/internal/golden"
)

// goldenVersions are the k3s releases the k3s component's goldens pin:
// each picks a benchmark through the fact table.
var goldenVersions = []string{"v1.24.17+k3s1", "v1.28.15+k3s1", "v1.34.4+k3s1", "v1.36.4+k3s1"}

func sampleInput(version, role string) k3s.StepsInput {
	n := k3s.NodeConfig{Name: "server-1", Role: role, InternalAddress: "192.168.122.10", InternalInterface: "eth1"}
	if role == k3s.RoleAgent {
		n = k3s.NodeConfig{Name: "agent-1", Role: role, InternalAddress: "192.168.122.20", InternalInterface: "eth1"}
	}
	return k3s.StepsInput{
		Cluster: k3s.ClusterConfig{
			Version: version, InternalCIDR: "192.168.122.0/24", ClusterCIDR: "10.42.0.0/16",
			ServiceCIDR: "10.43.0.0/16", VIP: "192.168.122.100", HasAgents: true,
			PodSecurity: k3s.PodSecurity{Enforce: "restricted"},
		},
		Node:    n,
		Install: k3s.Install{ReleaseURL: "https://example.invalid/releases", VerifyChecksum: true, Arch: "amd64"},
	}
}

func expectFor(t *testing.T, version, role string) (string, []Expectation) {
	t.Helper()
	f, err := LoadFacts()
	if err != nil {
		t.Fatal(err)
	}
	minor, err := k3s.Minor(version)
	if err != nil {
		t.Fatal(err)
	}
	b, err := f.Benchmark(f.BenchmarkName(minor))
	if err != nil {
		t.Fatal(err)
	}
	n, err := RenderNode(sampleInput(version, role))
	if err != nil {
		t.Fatal(err)
	}
	return b.Name, Expect(b, n)
}

// TestGolden_Expectation: the expectation per benchmark and role, derived
// from the k3s component's rendering; a rendering change that flips a
// check shows up as a diff here.
func TestGolden_Expectation(t *testing.T) {
	for _, v := range goldenVersions {
		minor, _ := k3s.Minor(v)
		var nodes []NodeExpectation
		var bench string
		for _, role := range []string{k3s.RoleServer, k3s.RoleAgent} {
			name, es := expectFor(t, v, role)
			bench = name
			nodes = append(nodes, NodeExpectation{Node: role, Role: role, Checks: es})
		}
		golden.Assert(t, "expectation-1."+strconv.Itoa(minor)+".tsv", RenderTSV(bench, nodes))
	}
}

