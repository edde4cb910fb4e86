package cis

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"k3s-onprem/components/k3s"
	"k3s-onprem/internal/golden"
	"k3s-onprem/internal/hoststep"
)

// goldenVersions are the k3s releases the k3s component's goldens pin,
// plus 1.25 and 1.26, so each benchmark of the fact table is rendered.
var goldenVersions = []string{"v1.24.17+k3s1", "v1.25.16+k3s4", "v1.26.15+k3s1", "v1.28.15+k3s1", "v1.34.4+k3s1", "v1.36.4+k3s1"}

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

// TestClaims_HoldForEveryMinor: for every k3s minor the program supports,
// each claim of the benchmark kube-bench picks evaluates to pass against
// that minor's rendering (server; node checks on an agent too). Dropping a
// rendered flag, secrets encryption or the permissions step fails it.
func TestClaims_HoldForEveryMinor(t *testing.T) {
	f, err := LoadFacts()
	if err != nil {
		t.Fatal(err)
	}
	for minor := 24; minor <= 36; minor++ {
		bench := f.BenchmarkName(minor)
		claims, ok := Claims[bench]
		if !ok {
			t.Errorf("1.%d: benchmark %s has no claims", minor, bench)
			continue
		}
		v := "v1." + strconv.Itoa(minor) + ".1+k3s1"
		for _, role := range []string{k3s.RoleServer, k3s.RoleAgent} {
			_, es := expectFor(t, v, role)
			byID := map[string]Expectation{}
			for _, e := range es {
				byID[e.ID] = e
			}
			for _, c := range claims {
				e, ran := byID[c.ID]
				if !ran {
					if role == k3s.RoleServer {
						t.Errorf("1.%d %s: claimed %s is not among the checks run", minor, bench, c.ID)
					}
					continue
				}
				if e.Outcome != ExpectPass {
					t.Errorf("1.%d %s %s: claimed %s (%s) evaluates %s: %s", minor, bench, role, c.ID, c.By, e.Outcome, e.Reason)
				}
			}
		}
	}
}

// TestExpect_RenderingRegressionsFlipClaims: the evaluation follows the
// rendering: without an audit flag, secrets encryption or the permissions
// step, the checks they satisfy are no longer expected to pass.
func TestExpect_RenderingRegressionsFlipClaims(t *testing.T) {
	f, _ := LoadFacts()
	b, err := f.Benchmark("k3s-cis-1.9")
	if err != nil {
		t.Fatal(err)
	}
	base, err := RenderNode(sampleInput("v1.34.4+k3s1", k3s.RoleServer))
	if err != nil {
		t.Fatal(err)
	}
	outcome := func(n NodeRendering, id string) Outcome {
		for _, e := range Expect(b, n) {
			if e.ID == id {
				return e.Outcome
			}
		}
		t.Fatalf("no check %s", id)
		return ""
	}
	for _, id := range []string{"1.2.17", "1.2.27", "1.1.20"} {
		if o := outcome(base, id); o != ExpectPass {
			t.Fatalf("%s: %s with the real rendering", id, o)
		}
	}
	noMaxAge := base
	cfg := *base.Config
	cfg.KubeAPIServerArg = slices.DeleteFunc(slices.Clone(cfg.KubeAPIServerArg), func(a string) bool { return strings.HasPrefix(a, "audit-log-maxage=") })
	noMaxAge.Config = &cfg
	if o := outcome(noMaxAge, "1.2.17"); o != ExpectFail {
		t.Errorf("1.2.17 without audit-log-maxage: %s", o)
	}
	noEnc := base
	cfg2 := *base.Config
	cfg2.SecretsEncryption = false
	noEnc.Config = &cfg2
	if o := outcome(noEnc, "1.2.27"); o != ExpectFail {
		t.Errorf("1.2.27 without secrets-encryption: %s", o)
	}
	noPerm := base
	noPerm.Steps = slices.DeleteFunc(slices.Clone(base.Steps), func(s hoststep.Step) bool { return s.Name == k3s.StepPermissions })
	if o := outcome(noPerm, "1.1.20"); o != ExpectFail {
		t.Errorf("1.1.20 without the permissions step: %s", o)
	}
}
