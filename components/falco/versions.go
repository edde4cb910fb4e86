package falco

import (
	"fmt"
	"sort"
	"strings"

	"k3s-onprem/internal/chartsource"
)

// Pinned artifacts. Every download a host or the cluster makes for Falco is
// one of these exact versions, so a deployment is reproducible and an
// upgrade is a reviewed diff of this file (or of falco.version).
const (
	// PackageKeyFingerprint is the falcosecurity package signing key
	// (rotated with Falco 0.43.0; every older package was re-signed with
	// it). The host step refuses a downloaded key with another fingerprint.
	PackageKeyFingerprint = "478B2FBBC75F4237B731DA4365106822B35B1B1F"

	// SidekickChartVersion is the falcosidekick Helm chart (falcosidekick
	// 2.31.1, the chart's default image tag).
	SidekickChartVersion = "0.9.11"
	// SidekickImageTag pins the image explicitly so a chart re-release
	// cannot move it.
	SidekickImageTag = "2.31.1"

	// Plugin artifacts the servers install with falcoctl for the Kubernetes
	// audit source: k8saudit 0.16.0 with its ruleset, and the json plugin
	// the ruleset requires (>= 0.7.0).
	K8sAuditPluginRef = "k8saudit:0.16.0"
	K8sAuditRulesRef  = "k8saudit-rules:0.16.0"
	JSONPluginRef     = "json:0.7.3"
)

// Default package sources. They are hosts' downloads (the nodes fetch them),
// configurable because air-gapped sites mirror them.
const (
	DefaultKeyURL  = "https://falco.org/repo/falcosecurity-packages.asc"
	DefaultDebRepo = "https://download.falco.org/packages/deb"
	DefaultRPMRepo = "https://download.falco.org/packages/rpm"
	// ChartRepo serves both charts.
	ChartRepo = "https://falcosecurity.github.io/charts"
)

// falcoCharts maps a Falco release to the falco chart that ships it, for
// daemonset mode: the chart's configuration keys follow its Falco version,
// so a Falco version without a known chart is an error, not a guess.
var falcoCharts = map[string]string{
	"0.42.1": "7.0.1",
	"0.43.1": "8.0.2",
	"0.44.1": "9.1.0",
}

// Ruleset is the falcosecurity/rules release set paired with a Falco
// release: Default is the falco_rules.yaml Falco ships (its package and
// image), Incubating and Sandbox the releases cut from the same commit, so
// their shared macros and lists agree. They are falcoctl references.
type Ruleset struct {
	Default, Incubating, Sandbox string
}

var falcoRulesets = map[string]Ruleset{
	"0.42.1": {"falco-rules:5.0.0", "falco-incubating-rules:6.0.0", "falco-sandbox-rules:6.0.0"},
	"0.43.1": {"falco-rules:5.0.0", "falco-incubating-rules:6.0.0", "falco-sandbox-rules:6.0.0"},
	"0.44.1": {"falco-rules:5.1.0", "falco-incubating-rules:6.0.1", "falco-sandbox-rules:6.1.0"},
}

// FalcoVersions are the Falco releases this project pins artifacts for.
func FalcoVersions() []string {
	out := make([]string, 0, len(falcoRulesets))
	for v := range falcoRulesets {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}

// RulesetFor returns the pinned ruleset of a Falco version.
func RulesetFor(falcoVersion string) (Ruleset, error) {
	if r, ok := falcoRulesets[falcoVersion]; ok {
		return r, nil
	}
	return Ruleset{}, fmt.Errorf("falco.version %s: no pinned ruleset (known: %s)", falcoVersion, strings.Join(FalcoVersions(), ", "))
}

// SidekickChart is the pinned falcosidekick chart.
var SidekickChart = chartsource.Pinned{Name: "falcosidekick", Version: SidekickChartVersion, Repo: ChartRepo}

// Chart returns the pinned falco chart for a Falco version (daemonset mode).
func Chart(falcoVersion string) (chartsource.Pinned, error) {
	v, err := ChartVersion(falcoVersion)
	return chartsource.Pinned{Name: "falco", Version: v, Repo: ChartRepo}, err
}

// ChartVersion returns the pinned falco chart for a Falco version.
func ChartVersion(falcoVersion string) (string, error) {
	if v, ok := falcoCharts[falcoVersion]; ok {
		return v, nil
	}
	known := make([]string, 0, len(falcoCharts))
	for k := range falcoCharts {
		known = append(known, k)
	}
	sort.Strings(known)
	return "", fmt.Errorf("falco.version %s: no pinned falco chart for daemonset mode (known: %s)", falcoVersion, strings.Join(known, ", "))
}
