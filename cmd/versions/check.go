package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"k3s-onprem/components/falco"
	"k3s-onprem/components/loadbalancer"
	"k3s-onprem/internal/upstream"
)

// k3sGoldenRoles are the version-matrix goldens of components/k3s, one set
// per minor: config-<role>-1.<minor>.yaml.golden.
var k3sGoldenRoles = []string{"server0", "server-join", "agent"}

const k3sGoldenDir = "components/k3s/testdata"

// chartCRDs maps a chart whose CRDs the program renders objects for to its
// CRD fact tables (crd-<project>-<chart version>.json).
var chartCRDs = map[string]string{loadbalancer.ChartName: "metallb"}

// check lists every disagreement between the pins and the fact tables or
// golden files: a version the program accepts or installs must have the
// facts its conformance checks read, and the minors people run (each
// stack's pin, the newest supported) must have rendering goldens.
func check(p pins, root string) []string {
	var problems []string
	add := func(format string, a ...any) { problems = append(problems, fmt.Sprintf(format, a...)) }

	for m := p.MinMinor; m <= p.MaxMinor; m++ {
		if _, err := upstream.K3s(m); err != nil {
			add("k3s v1.%d is accepted (stacks.MinK3sMinor..MaxK3sMinor) but has no internal/upstream/facts/k3s-v1.%d.json", m, m)
		}
	}
	for _, m := range upstream.K3sMinors() {
		if m < p.MinMinor || m > p.MaxMinor {
			add("internal/upstream/facts/k3s-v1.%d.json exists but stacks accepts v1.%d..v1.%d: raise MaxK3sMinor or drop the table", m, p.MinMinor, p.MaxMinor)
		}
	}

	newestMinor := minorOf(p.NewestK3s)
	switch {
	case newestMinor < 0:
		add("stacks.NewestK3s %q is not a k3s release tag", p.NewestK3s)
	case newestMinor != p.MaxMinor:
		add("stacks.NewestK3s %s is v1.%d, but the newest accepted minor is v1.%d", p.NewestK3s, newestMinor, p.MaxMinor)
	default:
		if f, err := upstream.K3s(newestMinor); err == nil && f.Source.Tag != p.NewestK3s {
			add("stacks.NewestK3s is %s, but k3s-v1.%d.json was read at %s: refresh the table at the newest tag", p.NewestK3s, newestMinor, f.Source.Tag)
		}
	}

	goldenMinors := map[int]string{p.MaxMinor: "the newest supported minor"}
	for _, s := range p.Stacks {
		m := minorOf(s.K3s)
		if m < p.MinMinor || m > p.MaxMinor {
			add("stack %s pins k3s %s, outside the accepted v1.%d..v1.%d", s.Name, s.K3s, p.MinMinor, p.MaxMinor)
			continue
		}
		goldenMinors[m] = "stack " + s.Name + "'s pin"
	}
	for m, why := range goldenMinors {
		for _, role := range k3sGoldenRoles {
			name := fmt.Sprintf("config-%s-1.%d.yaml.golden", role, m)
			if _, err := os.Stat(filepath.Join(root, k3sGoldenDir, name)); err != nil {
				add("k3s v1.%d (%s) has no golden %s/%s: add the version to components/k3s render_test.go and run -update", m, why, k3sGoldenDir, name)
			}
		}
	}

	for _, c := range p.Charts {
		if _, err := upstream.Helm(c.Name, c.Version); err != nil {
			add("chart %s %s (%s) has no internal/upstream/facts/helm-%s-%s.json", c.Name, c.Version, c.Use, c.Name, c.Version)
		}
		if project, ok := chartCRDs[c.Name]; ok {
			if _, err := upstream.CRDs(project, c.Version); err != nil {
				add("chart %s %s (%s) installs CRDs the program renders objects for, but has no internal/upstream/facts/crd-%s-%s.json", c.Name, c.Version, c.Use, project, c.Version)
			}
		}
	}

	known := map[string]bool{}
	for _, v := range p.FalcoVersions {
		known[v] = true
		if _, err := upstream.FalcoConfigFacts(v); err != nil {
			add("Falco %s is pinned (components/falco) but has no falco-config-%s.json", v, v)
		}
		rs, err := falco.RulesetFor(v)
		if err != nil {
			add("Falco %s: %v", v, err)
			continue
		}
		for _, ref := range []string{rs.Default, rs.Incubating, rs.Sandbox} {
			if _, err := upstream.FalcoRulesRef(ref); err != nil {
				add("Falco %s ruleset %s has no fact table: %v", v, ref, err)
			}
		}
	}
	if !known[p.FalcoDefault] {
		add("the default Falco %s has no pinned ruleset and chart (known: %s)", p.FalcoDefault, strings.Join(p.FalcoVersions, ", "))
	}
	for _, s := range p.Stacks {
		if !known[s.Falco] {
			add("stack %s pins Falco %s, which has no pinned ruleset and chart", s.Name, s.Falco)
		}
	}

	if p.RealKube != p.RealKubeHarness {
		add("real-API tier: %s builds kube %s, %s expects %s", realBuildScript, p.RealKube, realHarness, p.RealKubeHarness)
	}
	if p.RealEtcd != p.RealEtcdHarness {
		add("real-API tier: %s builds etcd %s, %s expects %s", realBuildScript, p.RealEtcd, realHarness, p.RealEtcdHarness)
	}
	if m := minorOf(p.RealKube); m < p.MinMinor || m > p.MaxMinor {
		add("real-API tier kube %s is outside the accepted k3s minors v1.%d..v1.%d", p.RealKube, p.MinMinor, p.MaxMinor)
	}
	if m := minorOf(p.RealKubeNewest); m < p.MinMinor || m > p.MaxMinor {
		add("real-API tier's newest run (%s REALAPI_NEWEST_KUBE) kube %s is outside the accepted k3s minors v1.%d..v1.%d", makefile, p.RealKubeNewest, p.MinMinor, p.MaxMinor)
	} else if m <= minorOf(p.RealKube) {
		add("real-API tier's newest run kube %s is not newer than its default %s: the second run tests nothing new", p.RealKubeNewest, p.RealKube)
	}
	return problems
}
