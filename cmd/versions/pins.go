package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/blang/semver"

	"k3s-onprem/components/falco"
	"k3s-onprem/components/ingress"
	"k3s-onprem/components/loadbalancer"
	"k3s-onprem/stacks"
)

// stackPins are the versions one committed stack file pins.
type stackPins struct {
	Name, K3s, Falco string
}

// chartPin is a Helm chart a component pins, and why.
type chartPin struct {
	Name, Version, Use string
	// Held says why the pin deliberately stays below the newest table.
	Held string
}

// pins is every upstream version the program pins, gathered from the code,
// the committed stacks and the real-API tier's build defaults. The checks
// run on this value so tests can feed them a drifted copy.
type pins struct {
	Stacks             []stackPins
	MinMinor, MaxMinor int
	NewestK3s          string
	FalcoDefault       string
	FalcoVersions      []string
	Charts             []chartPin
	// The real-API tier's defaults: build.sh builds them, the Go harness
	// expects them; both must name the same versions.
	RealKube, RealKubeHarness string
	RealEtcd, RealEtcdHarness string
	// RealKubeNewest is the second Kubernetes version `make test` runs the
	// tier on (the Makefile's REALAPI_NEWEST_KUBE).
	RealKubeNewest string
}

// Where the real-API tier keeps its defaults, relative to the repository.
const (
	realBuildScript = "tests/realapi/build.sh"
	realHarness     = "tests/realapi/apiserver/server.go"
	makefile        = "Makefile"
)

var (
	buildDefaultRE   = regexp.MustCompile(`(?m)^(KUBE|ETCD)_VERSION=\$\{(?:KUBE|ETCD)_VERSION:-(v[0-9.]+)\}`)
	harnessDefaultRE = regexp.MustCompile(`default(Kube|Etcd)Version\s*=\s*"(v[0-9.]+)"`)
	newestKubeRE     = regexp.MustCompile(`(?m)^REALAPI_NEWEST_KUBE\s*=\s*(v[0-9.]+)\s*$`)
)

// collect reads the pins of the repository at root.
func collect(root string) (pins, error) {
	p := pins{
		MinMinor:      stacks.MinK3sMinor,
		MaxMinor:      stacks.MaxK3sMinor,
		NewestK3s:     stacks.NewestK3s,
		FalcoDefault:  stacks.DefaultFalcoVersion,
		FalcoVersions: falco.FalcoVersions(),
	}
	files, err := filepath.Glob(filepath.Join(root, "Pulumi.*.yaml"))
	if err != nil {
		return p, err
	}
	for _, f := range files {
		name := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), "Pulumi."), ".yaml")
		spec, err := stacks.DecodeStackFile(root, name)
		if err != nil {
			return p, fmt.Errorf("stack %s: %w", name, err)
		}
		p.Stacks = append(p.Stacks, stackPins{Name: name, K3s: spec.K3s.Version, Falco: spec.Falco.Version})
	}
	if len(p.Stacks) == 0 {
		return p, fmt.Errorf("no Pulumi.<stack>.yaml in %s", root)
	}
	cur, psp := ingress.ChartFor(stacks.MaxK3sMinor), ingress.ChartFor(stacks.MinK3sMinor)
	p.Charts = []chartPin{
		{loadbalancer.ChartName, loadbalancer.ChartVersion, "MetalLB", ""},
		{cur.Name, cur.Version, "ingress-nginx (k3s >= 1.25)", ""},
		{ingress.TraefikChart().Name, ingress.TraefikChart().Version, "traefik (ingress.implementation traefik)", ""},
		{falco.SidekickChart.Name, falco.SidekickChart.Version, "falcosidekick", ""},
	}
	if psp.Version != cur.Version {
		p.Charts = append(p.Charts, chartPin{psp.Name, psp.Version, fmt.Sprintf("ingress-nginx (k3s 1.%d, PSP path)", stacks.MinK3sMinor),
			"the last chart for Kubernetes 1.24"})
	}
	newestFalco := newest(p.FalcoVersions)
	for _, v := range p.FalcoVersions {
		c, err := falco.ChartVersion(v)
		if err != nil {
			return p, err
		}
		held := ""
		if v != newestFalco {
			held = "ships Falco " + v
		}
		p.Charts = append(p.Charts, chartPin{"falco", c, "falco (daemonset mode, Falco " + v + ")", held})
	}
	if p.RealKube, p.RealEtcd, err = readDefaults(filepath.Join(root, realBuildScript), buildDefaultRE); err != nil {
		return p, err
	}
	if p.RealKubeHarness, p.RealEtcdHarness, err = readDefaults(filepath.Join(root, realHarness), harnessDefaultRE); err != nil {
		return p, err
	}
	mk, err := os.ReadFile(filepath.Join(root, makefile))
	if err != nil {
		return p, err
	}
	m := newestKubeRE.FindSubmatch(mk)
	if m == nil {
		return p, fmt.Errorf("%s: no REALAPI_NEWEST_KUBE = v1.x.y line", makefile)
	}
	p.RealKubeNewest = string(m[1])
	return p, nil
}

// readDefaults finds the kube and etcd default versions in a file.
func readDefaults(path string, re *regexp.Regexp) (kube, etcd string, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", "", err
	}
	for _, m := range re.FindAllStringSubmatch(string(b), -1) {
		switch strings.ToLower(m[1]) {
		case "kube":
			kube = m[2]
		case "etcd":
			etcd = m[2]
		}
	}
	if kube == "" || etcd == "" {
		return "", "", fmt.Errorf("%s: no kube or etcd default version found", path)
	}
	return kube, etcd, nil
}

// newest returns the highest version in vs (semver order, "v" optional).
func newest(vs []string) string {
	best, bestV := "", semver.Version{}
	for _, v := range vs {
		sv, err := semver.ParseTolerant(v)
		if err != nil {
			continue
		}
		if best == "" || sv.GT(bestV) {
			best, bestV = v, sv
		}
	}
	return best
}

// minorOf is the minor of v1.MINOR... (-1 if v is no such version).
func minorOf(v string) int {
	sv, err := semver.ParseTolerant(v)
	if err != nil || sv.Major != 1 {
		return -1
	}
	return int(sv.Minor)
}
