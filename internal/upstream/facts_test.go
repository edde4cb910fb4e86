package upstream

import (
	"regexp"
	"strings"
	"testing"
)

var commitRE = regexp.MustCompile(`^[0-9a-f]{40}$`)

// Every table says where it was read from and how to refresh it, and
// holds what any k3s or chart of its kind must have.
func TestFactTablesNameTheirSource(t *testing.T) {
	check := func(name string, s Source) {
		if s.Repo == "" || len(s.Paths) == 0 || s.Tag == "" || !commitRE.MatchString(s.Commit) || s.Read == "" || s.Refresh == "" {
			t.Errorf("%s: incomplete source %+v", name, s)
		}
	}
	for _, m := range K3sMinors() {
		f, err := K3s(m)
		if err != nil {
			t.Fatal(err)
		}
		check(f.Source.Tag, f.Source)
		for _, flag := range []string{"node-name", "token-file", "kubelet-arg", "protect-kernel-defaults"} {
			for role, c := range map[string]K3sCommand{"server": f.Server, "agent": f.Agent} {
				if _, _, ok := c.Lookup(flag); !ok {
					t.Errorf("v1.%d %s: no %s flag: the table is incomplete", m, role, flag)
				}
			}
		}
		if _, kind, _ := f.Server.Lookup("kube-apiserver-arg"); kind != FlagStringSlice {
			t.Errorf("v1.%d: kube-apiserver-arg is %q, want a string slice", m, kind)
		}
	}
	if len(HelmCharts()) == 0 {
		t.Fatal("no Helm fact tables")
	}
	for _, c := range HelmCharts() {
		chart, version, _ := strings.Cut(c, "@")
		f, err := Helm(chart, version)
		if err != nil {
			t.Fatal(err)
		}
		check(c, f.Source)
		if len(f.Values) == 0 {
			t.Errorf("%s: no values", c)
		}
	}
	if len(CRDTables()) == 0 {
		t.Fatal("no CRD fact tables")
	}
	for _, c := range CRDTables() {
		project, version, _ := strings.Cut(c, "@")
		f, err := CRDs(project, version)
		if err != nil {
			t.Fatal(err)
		}
		check(c, f.Source)
		for _, k := range f.Kinds {
			storage := 0
			for _, v := range k.Versions {
				if v.Storage {
					storage++
				}
				_, spec := v.Fields["spec"]
				_, status := v.Fields["status"]
				if !spec && !status {
					t.Errorf("%s: %s %s has neither spec nor status: the schema was not read", c, k.Kind, v.Name)
				}
			}
			if storage != 1 {
				t.Errorf("%s: %s has %d storage versions, want 1", c, k.Kind, storage)
			}
		}
	}
}
