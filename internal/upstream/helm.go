package upstream

import (
	"embed"
	"fmt"
	"sort"
	"strings"
	"sync"
)

// ValueKind is the kind of a chart value path: map (keys the chart
// defines), object (free-form: any key below it), list, string, bool,
// number, any (null in values.yaml, or only read by a template).
type ValueKind string

// Value kinds.
const (
	ValueMap    ValueKind = "map"
	ValueObject ValueKind = "object"
	ValueList   ValueKind = "list"
	ValueString ValueKind = "string"
	ValueBool   ValueKind = "bool"
	ValueNumber ValueKind = "number"
	ValueAny    ValueKind = "any"
)

// HelmFacts are the value paths of one chart version: dot-joined paths
// from its values.yaml, values.schema.json and the .Values paths its
// templates read.
type HelmFacts struct {
	Chart   string               `json:"chart"`
	Version string               `json:"version"`
	Source  Source               `json:"source"`
	Values  map[string]ValueKind `json:"values"`
}

//go:embed facts/helm-*.json
var helmFiles embed.FS

var (
	helmOnce sync.Once
	helmBy   map[string]*HelmFacts // chart@version
	helmErr  error
)

func loadHelm() {
	helmBy, helmErr = loadTables(helmFiles, "helm", func(f *HelmFacts) (string, string) { return f.Chart, f.Version })
}

// Helm returns the value facts of a chart version.
func Helm(chart, version string) (*HelmFacts, error) {
	helmOnce.Do(loadHelm)
	if helmErr != nil {
		return nil, helmErr
	}
	f, ok := helmBy[chart+"@"+version]
	if !ok {
		return nil, fmt.Errorf("no Helm value facts for chart %s %s (have %s)", chart, version, strings.Join(HelmCharts(), ", "))
	}
	return f, nil
}

// HelmValueKeys returns the valid value paths (dot-joined) of a chart
// version and their kinds.
func HelmValueKeys(chart, version string) (map[string]ValueKind, error) {
	f, err := Helm(chart, version)
	if err != nil {
		return nil, err
	}
	return f.Values, nil
}

// HelmCharts lists chart@version for every table, sorted.
func HelmCharts() []string {
	helmOnce.Do(loadHelm)
	out := make([]string, 0, len(helmBy))
	for k := range helmBy {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
