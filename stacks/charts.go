package stacks

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"k3s-onprem/components/falco"
	"k3s-onprem/components/ingress"
	"k3s-onprem/components/loadbalancer"
	"k3s-onprem/internal/chartsource"
)

// Charts says where the Helm releases fetch their charts; empty means each
// chart's upstream repository, which needs the internet during preview/up.
type Charts struct {
	// Repository is a mirror holding every pinned chart: an HTTP(S) chart
	// repository or an OCI registry path (oci://host/path).
	Repository string `json:"repository,omitempty"`
	// Archives maps a chart name to a chart archive (.tgz) on the
	// operator's machine; it wins over Repository for that chart.
	Archives map[string]string `json:"archives,omitempty"`
}

// Source is the components' view of the setting.
func (c Charts) Source() chartsource.Source {
	return chartsource.Source{Repository: c.Repository, Archives: c.Archives}
}

// pinnedCharts are the charts this stack installs, by name, at the
// versions the components pin. falco is there only in daemonset mode.
func pinnedCharts(s *ClusterSpec) map[string]chartsource.Pinned {
	m := map[string]chartsource.Pinned{
		loadbalancer.ChartName:   loadbalancer.Chart,
		falco.SidekickChart.Name: falco.SidekickChart,
	}
	if s.Ingress.Implementation == ingress.KindTraefik {
		m[ingress.TraefikChart().Name] = ingress.TraefikChart().Pinned()
	} else if v, err := ParseK3sVersion(s.K3s.Version); err == nil {
		m[ingress.ChartFor(v.Minor).Name] = ingress.ChartFor(v.Minor).Pinned()
	}
	if c, err := falco.Chart(s.Falco.Version); err == nil && s.Falco.Mode == falco.ModeDaemonSet {
		m[c.Name] = c
	}
	return m
}

// chartNames are the charts any stack may install.
var chartNames = []string{loadbalancer.ChartName, ingress.ChartFor(MaxK3sMinor).Name, ingress.TraefikChart().Name, falco.SidekickChart.Name, "falco"}

// validateCharts checks the setting's form (no file access).
func validateCharts(c Charts, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if c.Repository != "" {
		if err := chartsource.CheckRepository(c.Repository); err != nil {
			errs = append(errs, field.Invalid(p.Child("repository"), c.Repository, err.Error()))
		}
	}
	names := make([]string, 0, len(c.Archives))
	for n := range c.Archives {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		path := p.Child("archives").Key(n)
		switch a := c.Archives[n]; {
		case !slices.Contains(chartNames, n):
			errs = append(errs, field.NotSupported(path, n, chartNames))
		case !strings.HasSuffix(a, ".tgz"):
			errs = append(errs, field.Invalid(path, a, "must name a chart archive (.tgz) as `helm pull` writes it"))
		}
	}
	return errs
}

// checkChartArchives resolves each archive path (~ and relative paths, see
// LocalPath) and checks that the file holds the chart at the version this
// stack pins; the spec keeps the resolved paths.
func checkChartArchives(s *ClusterSpec, projectDir string) field.ErrorList {
	var errs field.ErrorList
	pinned := pinnedCharts(s)
	names := make([]string, 0, len(s.Charts.Archives))
	for n := range s.Charts.Archives {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		path := field.NewPath("charts", "archives").Key(n)
		p, used := pinned[n]
		if !used || !strings.HasSuffix(s.Charts.Archives[n], ".tgz") {
			continue // not installed by this stack, or already reported
		}
		resolved, err := LocalPath(s.Charts.Archives[n], projectDir)
		if err == nil {
			err = chartsource.CheckArchive(resolved, p)
		}
		if err != nil {
			errs = append(errs, field.Invalid(path, s.Charts.Archives[n], fmt.Sprintf(
				"%v; fetch it where the internet is reachable with `helm pull %s --repo %s --version %s` (~ is your home directory, a relative path is relative to the project directory)",
				err, p.Name, p.Repo, p.Version)))
			continue
		}
		s.Charts.Archives[n] = resolved
	}
	return errs
}
