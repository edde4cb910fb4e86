package conformance

import (
	"strconv"
	"strings"
	"testing"

	"k3s-onprem/internal/upstream"
)

// checkRenderedRelease fails the test for every value path of one Helm
// release that its pinned chart does not have.
func checkRenderedRelease(t *testing.T, where string, rel renderedRelease) {
	t.Helper()
	problems, err := upstream.CheckHelmValues(rel.chart, rel.version, rel.values)
	if err != nil {
		t.Fatalf("%s release %s: %v", where, rel.name, err)
	}
	for _, p := range problems {
		t.Errorf("%s release %s: %s", where, rel.name, p)
	}
}

// TestHelmValuesAreKeysOfThePinnedCharts renders dev, prod, prod with
// Falco in daemonset mode, and prod at every accepted k3s minor (the
// ingress chart changes with it), and checks every Helm release's values
// against its pinned chart: MetalLB, both ingress-nginx controllers,
// falcosidekick and falco.
func TestHelmValuesAreKeysOfThePinnedCharts(t *testing.T) {
	seen := map[string]bool{}
	renders := []struct{ name, stack, version, falcoMode string }{
		{"dev", "dev", "", ""},
		{"prod", "prod", "", ""},
		{"prod-falco-daemonset", "prod", "", "daemonset"},
	}
	for _, minor := range acceptedMinors() {
		facts, err := upstream.K3s(minor)
		if err != nil {
			t.Fatal(err)
		}
		renders = append(renders, struct{ name, stack, version, falcoMode string }{"prod-at-v1." + strconv.Itoa(minor), "prod", facts.Source.Tag, ""})
	}
	for _, rc := range renders {
		t.Run(rc.name, func(t *testing.T) {
			r := renderConformanceStack(t, rc.stack, rc.version, rc.falcoMode)
			for _, rel := range r.releases {
				checkRenderedRelease(t, rc.name, rel)
				seen[rel.chart+"@"+rel.version] = true
			}
		})
	}
	// Every chart the issue names was rendered and checked at least once.
	for _, chart := range []string{"metallb", "ingress-nginx", "falcosidekick", "falco"} {
		found := false
		for k := range seen {
			found = found || strings.HasPrefix(k, chart+"@")
		}
		if !found {
			t.Errorf("no render produced a %s release: the check did not cover it (rendered %v)", chart, seen)
		}
	}
}

// TestHelmCheckBites proves the check fails on values a chart does not
// have: an unknown top-level key, a misspelled nested key, and a map where
// the chart takes a scalar; and that free-form maps stay the user's.
func TestHelmCheckBites(t *testing.T) {
	cases := []struct {
		name, chart, version string
		values               map[string]any
		want                 string
	}{
		{"unknown key", "metallb", "0.15.2", map[string]any{"speakr": map[string]any{"enabled": true}}, "value speakr: chart metallb 0.15.2 has no such key; did you mean speaker?"},
		{"misspelled nested key", "ingress-nginx", "4.15.1", map[string]any{"controller": map[string]any{"replicaCnt": 2}}, "value controller.replicaCnt: chart ingress-nginx 4.15.1 has no such key; did you mean controller.replicaCount?"},
		{"map for a scalar", "ingress-nginx", "4.15.1", map[string]any{"controller": map[string]any{"ingressClass": map[string]any{"name": "nginx"}}}, "value controller.ingressClass: the chart takes a string here, not a map"},
		{"key of another chart version", "falcosidekick", "0.9.11", map[string]any{"config": map[string]any{"nosuchoutput": map[string]any{"url": "x"}}}, "value config.nosuchoutput: chart falcosidekick 0.9.11 has no such key"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			problems, err := upstream.CheckHelmValues(tc.chart, tc.version, tc.values)
			if err != nil {
				t.Fatal(err)
			}
			if len(problems) != 1 || !strings.Contains(problems[0], tc.want) {
				t.Fatalf("problems %q, want one containing %q", problems, tc.want)
			}
		})
	}
	freeForm := map[string]any{"controller": map[string]any{"service": map[string]any{"annotations": map[string]any{"metallb.io/address-pool": "x", "anything.example/else": "y"}}}}
	if problems, err := upstream.CheckHelmValues("ingress-nginx", "4.15.1", freeForm); err != nil || len(problems) > 0 {
		t.Fatalf("annotations are free-form: %v %q", err, problems)
	}
}
