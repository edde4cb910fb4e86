package conformance

import (
	"os/exec"
	"strings"
	"testing"

	"k3s-onprem/components/loadbalancer"
	"k3s-onprem/internal/upstream"
)

// metalLBModuleVersion is the go.universe.tf/metallb module version (from
// go.mod, as tests/realapi finds the module) whose CRDs the
// real-API-server tests apply. The Go module proxy serves no v0.16.0 of
// that module, so while the chart is pinned to 0.16.0 the dry run
// validates against 0.15.2's CRDs; this test is what makes that verdict
// carry over: every field the program renders exists, with the same kind,
// in both versions' schemas.
func metalLBModuleVersion(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Version}}", "go.universe.tf/metallb").Output()
	if err != nil {
		t.Fatalf("go list -m go.universe.tf/metallb: %v", err)
	}
	return strings.TrimPrefix(strings.TrimSpace(string(out)), "v")
}

// TestMetalLBObjectsUseFieldsOfThePinnedCRDs renders dev and prod and
// checks every MetalLB object (IPAddressPool, L2Advertisement) against the
// CRD facts of the pinned chart and of the module the dry run applies:
// kind in group, served version, every spec field in the schema.
func TestMetalLBObjectsUseFieldsOfThePinnedCRDs(t *testing.T) {
	versions := []string{loadbalancer.ChartVersion}
	if m := metalLBModuleVersion(t); m != loadbalancer.ChartVersion {
		versions = append(versions, m)
	}
	t.Logf("CRD facts checked: metallb %v", versions)
	kinds := map[string]int{}
	for _, stack := range []string{"dev", "prod"} {
		r := renderConformanceStack(t, stack, "", "")
		for _, obj := range r.metallb {
			kinds[obj["kind"].(string)]++
			for _, v := range versions {
				problems, err := upstream.CheckCRDObject("metallb", v, obj)
				if err != nil {
					t.Fatal(err)
				}
				for _, p := range problems {
					t.Errorf("%s: %s", stack, p)
				}
			}
		}
	}
	if kinds["IPAddressPool"] == 0 || kinds["L2Advertisement"] == 0 {
		t.Fatalf("rendered MetalLB objects %v: the check saw no pool or advertisement", kinds)
	}
}

// TestCRDCheckBites proves the check fails on an unknown field, a list
// where the schema takes a string, a kind the group lacks, an unserved
// version, and a field only the newer release has (serviceSelectors came
// with MetalLB 0.16.0).
func TestCRDCheckBites(t *testing.T) {
	pool := func(spec map[string]any) map[string]any {
		return map[string]any{"apiVersion": "metallb.io/v1beta1", "kind": "IPAddressPool", "metadata": map[string]any{"name": "x"}, "spec": spec}
	}
	cases := []struct {
		name, version string
		obj           map[string]any
		want          string
	}{
		{"unknown field", "0.16.0", pool(map[string]any{"adresses": []any{"10.0.0.1/32"}}), "field spec.adresses is not in the schema"},
		{"list for a scalar", "0.16.0", pool(map[string]any{"autoAssign": []any{false}}), "field spec.autoAssign takes a boolean, not a list"},
		{"unknown kind", "0.16.0", map[string]any{"apiVersion": "metallb.io/v1beta1", "kind": "AddressPool"}, "no such kind in the group"},
		{"unserved version", "0.16.0", map[string]any{"apiVersion": "metallb.io/v1alpha1", "kind": "IPAddressPool"}, "version v1alpha1 is not served"},
		{"field of a later release", "0.15.2", map[string]any{"apiVersion": "metallb.io/v1beta1", "kind": "L2Advertisement",
			"spec": map[string]any{"serviceSelectors": []any{map[string]any{"matchLabels": map[string]any{"a": "b"}}}}}, "field spec.serviceSelectors is not in the schema"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			problems, err := upstream.CheckCRDObject("metallb", tc.version, tc.obj)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(strings.Join(problems, "\n"), tc.want) {
				t.Errorf("problems %q, want one containing %q", problems, tc.want)
			}
		})
	}
	// The same serviceSelectors is valid in 0.16.0.
	ok := map[string]any{"apiVersion": "metallb.io/v1beta1", "kind": "L2Advertisement",
		"spec": map[string]any{"serviceSelectors": []any{map[string]any{"matchLabels": map[string]any{"a": "b"}}}}}
	if problems, err := upstream.CheckCRDObject("metallb", "0.16.0", ok); err != nil || len(problems) > 0 {
		t.Errorf("0.16.0 serviceSelectors: %v %v", problems, err)
	}
}
