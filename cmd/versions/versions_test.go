package main

import (
	"slices"
	"strings"
	"testing"
)

const repoRoot = "../.."

func repoPins(t *testing.T) pins {
	t.Helper()
	p, err := collect(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestPinsAgreeWithFactsAndGoldens is the drift check: every pin of the
// repository has its fact tables, and the minors in use have goldens.
func TestPinsAgreeWithFactsAndGoldens(t *testing.T) {
	p := repoPins(t)
	for _, pr := range check(p, repoRoot) {
		t.Error(pr)
	}
	// The report covers every kind of pin the issue names.
	var whats []string
	for _, r := range report(p) {
		whats = append(whats, r.What)
		if r.Pinned == "" || r.Newest == "" || r.Status == "unknown" {
			t.Errorf("row %+v is incomplete", r)
		}
	}
	all := strings.Join(whats, "\n")
	for _, want := range []string{"k3s (stack dev)", "k3s (stack prod)", "k3s newest accepted minor", "Falco (default", "chart MetalLB",
		"chart ingress-nginx", "chart traefik", "chart falcosidekick", "chart falco (", "kube-apiserver (real-API tier, default run)", "kube-apiserver (real-API tier, newest run)", "etcd (real-API tier)"} {
		if !strings.Contains(all, want) {
			t.Errorf("no report row for %q in\n%s", want, all)
		}
	}
}

// TestCheckBites proves each kind of drift is reported.
func TestCheckBites(t *testing.T) {
	cases := []struct {
		name  string
		drift func(*pins)
		want  string
	}{
		{"chart without a table", func(p *pins) { p.Charts[0].Version = "0.0.1" }, "has no internal/upstream/facts/helm-metallb-0.0.1.json"},
		{"chart without its CRD table", func(p *pins) { p.Charts[0].Version = "0.15.1" }, "has no internal/upstream/facts/crd-metallb-0.15.1.json"},
		{"accepted minor without a table", func(p *pins) { p.MaxMinor++ }, "has no internal/upstream/facts/k3s-v1.37.json"},
		{"table of an unaccepted minor", func(p *pins) { p.MaxMinor-- }, "k3s-v1.36.json exists but stacks accepts"},
		{"newest stable not the newest minor", func(p *pins) { p.NewestK3s = "v1.35.5+k3s1" }, "stacks.NewestK3s v1.35.5+k3s1 is v1.35"},
		{"newest stable not the table's tag", func(p *pins) { p.NewestK3s = "v1.36.9+k3s1" }, "was read at v1.36.4+k3s1"},
		{"stack pin without goldens", func(p *pins) { p.Stacks[0].K3s = "v1.30.1+k3s1" }, "no golden components/k3s/testdata/config-server0-1.30.yaml.golden"},
		{"stack pin outside the accepted minors", func(p *pins) { p.Stacks[0].K3s = "v1.40.0+k3s1" }, "outside the accepted"},
		{"Falco without facts", func(p *pins) { p.FalcoVersions = append(p.FalcoVersions, "0.99.0") }, "0.99.0"},
		{"stack Falco not pinned", func(p *pins) { p.Stacks[0].Falco = "0.41.0" }, "pins Falco 0.41.0"},
		{"real-API build and harness disagree", func(p *pins) { p.RealKube = "v1.36.3" }, "builds kube v1.36.3"},
		{"real-API etcd disagree", func(p *pins) { p.RealEtcdHarness = "v3.5.0" }, "builds etcd"},
		{"real-API newest run outside the accepted minors", func(p *pins) { p.RealKubeNewest = "v1.40.1" }, "REALAPI_NEWEST_KUBE) kube v1.40.1 is outside"},
		{"real-API newest run no newer than the default", func(p *pins) { p.RealKubeNewest = p.RealKube }, "tests nothing new"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := repoPins(t)
			p.Stacks = slices.Clone(p.Stacks)
			p.Charts = slices.Clone(p.Charts)
			p.FalcoVersions = slices.Clone(p.FalcoVersions)
			tc.drift(&p)
			problems := check(p, repoRoot)
			if !slices.ContainsFunc(problems, func(s string) bool { return strings.Contains(s, tc.want) }) {
				t.Fatalf("problems %q, want one containing %q", problems, tc.want)
			}
		})
	}
}

func TestStatus(t *testing.T) {
	for _, tc := range []struct{ a, b, want string }{
		{"v1.34.4+k3s1", "v1.36.4+k3s1", "behind"},
		{"v1.36.4+k3s1", "v1.36.4+k3s1", "current"},
		{"0.44.1", "0.42.1", "ahead"},
		{"stable", "v1.36.4+k3s1", "unknown"},
	} {
		if got := status(tc.a, tc.b); got != tc.want {
			t.Errorf("status(%s, %s) = %s, want %s", tc.a, tc.b, got, tc.want)
		}
	}
	if got := etcdStatus("v3.5.21"); got != "other line" {
		t.Errorf("etcd 3.5 against k3s's 3.6: %s", got)
	}
	if got := newest([]string{"0.9.11", "0.10.2", "x"}); got != "0.10.2" {
		t.Errorf("newest = %s", got)
	}
}
