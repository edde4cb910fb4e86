package main

import (
	"fmt"
	"strings"

	"github.com/blang/semver"

	"k3s-onprem/internal/upstream"
)

// k3sEmbeddedEtcd is the etcd that the newest stable k3s builds in: go.mod
// of k3s-io/k3s at e35ab347 (v1.36.4+k3s1) replaces go.etcd.io/etcd/server/v3
// with k3s-io/etcd v3.6.14-k3s1. The real-API tier's etcd should be on that
// line and not older.
const k3sEmbeddedEtcd = "v3.6.14"

// row is one line of the report.
type row struct {
	What, Pinned, Newest, Status, From string
}

// report compares each pin with the newest version the program knows.
func report(p pins) []row {
	var rows []row
	for _, s := range p.Stacks {
		rows = append(rows, row{"k3s (stack " + s.Name + ")", s.K3s, p.NewestK3s, status(s.K3s, p.NewestK3s), "stacks.NewestK3s"})
	}
	maxTable := 0
	for _, m := range upstream.K3sMinors() {
		maxTable = max(maxTable, m)
	}
	rows = append(rows, row{"k3s newest accepted minor", fmt.Sprintf("v1.%d", p.MaxMinor), fmt.Sprintf("v1.%d", maxTable),
		minorStatus(p.MaxMinor, maxTable), fmt.Sprintf("internal/upstream/facts/k3s-v1.%d.json", maxTable)})

	newestFalco := newest(p.FalcoVersions)
	rows = append(rows, row{"Falco (default for new stacks)", p.FalcoDefault, newestFalco, status(p.FalcoDefault, newestFalco), "components/falco pinned rulesets"})
	for _, s := range p.Stacks {
		rows = append(rows, row{"Falco (stack " + s.Name + ")", s.Falco, newestFalco, status(s.Falco, newestFalco), "components/falco pinned rulesets"})
	}

	for _, c := range p.Charts {
		var tables []string
		for _, cv := range upstream.HelmCharts() {
			if name, v, _ := strings.Cut(cv, "@"); name == c.Name {
				tables = append(tables, v)
			}
		}
		nv := newest(tables)
		st := status(c.Version, nv)
		if c.Held != "" && st == "behind" {
			st = "held: " + c.Held
		}
		rows = append(rows, row{"chart " + c.Use, c.Version, nv, st, "internal/upstream/facts/helm-" + c.Name + "-" + nv + ".json"})
	}

	rows = append(rows,
		row{"kube-apiserver (real-API tier, default run)", p.RealKube, fmt.Sprintf("v1.%d", p.MaxMinor), minorStatus(minorOf(p.RealKube), p.MaxMinor), "stacks.MaxK3sMinor"},
		row{"kube-apiserver (real-API tier, newest run)", p.RealKubeNewest, fmt.Sprintf("v1.%d", p.MaxMinor), minorStatus(minorOf(p.RealKubeNewest), p.MaxMinor), "stacks.MaxK3sMinor"},
		row{"etcd (real-API tier)", p.RealEtcd, k3sEmbeddedEtcd, etcdStatus(p.RealEtcd), "k3s " + p.NewestK3s + " embeds it"},
	)
	return rows
}

// status compares two semantic versions ("v" optional, build ignored).
func status(pinned, newest string) string {
	a, errA := semver.ParseTolerant(pinned)
	b, errB := semver.ParseTolerant(newest)
	switch {
	case errA != nil || errB != nil:
		return "unknown"
	case a.LT(b):
		return "behind"
	case a.GT(b):
		return "ahead"
	}
	return "current"
}

func minorStatus(pinned, newest int) string {
	switch {
	case pinned < newest:
		return fmt.Sprintf("behind (%d minor)", newest-pinned)
	case pinned > newest:
		return "ahead"
	}
	return "current"
}

// etcdStatus: the same minor line as k3s's etcd and not older is current.
func etcdStatus(pinned string) string {
	a, errA := semver.ParseTolerant(pinned)
	b, errB := semver.ParseTolerant(k3sEmbeddedEtcd)
	switch {
	case errA != nil || errB != nil:
		return "unknown"
	case a.Major != b.Major || a.Minor != b.Minor:
		return "other line"
	case a.LT(b):
		return "behind"
	}
	return "current"
}
