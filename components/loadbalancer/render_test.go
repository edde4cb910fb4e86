package loadbalancer

import (
	"testing"

	"sigs.k8s.io/yaml"

	"k3s-onprem/components/podsecurity"
	"k3s-onprem/internal/golden"
)

// twoNetworks is the blog's layout: an external pool on eth1 of the nodes
// with a public interface, an internal pool on eth0 of every node.
var twoNetworks = Config{Pools: []Pool{
	{Name: "external", Range: "192.168.1.200-192.168.1.240", Interfaces: []string{"eth1"}, Nodes: []string{"agent-2", "agent-1"}},
	{Name: "internal", Range: "192.168.122.200-192.168.122.240", Interfaces: []string{"eth0"}},
}}

func TestGolden_PoolsAndAdvertisements(t *testing.T) {
	var objs []any
	for _, p := range IPAddressPools(twoNetworks) {
		objs = append(objs, p)
	}
	for _, a := range L2Advertisements(twoNetworks) {
		objs = append(objs, a)
	}
	y, err := podsecurity.YAML(objs...)
	if err != nil {
		t.Fatal(err)
	}
	golden.Assert(t, "pools-two-networks.yaml", y)
}

func TestGolden_Values(t *testing.T) {
	y, err := yaml.Marshal(Values())
	if err != nil {
		t.Fatal(err)
	}
	golden.Assert(t, "values.yaml", y)
}

func TestRender_EachPoolAdvertisedOnlyOnItsInterfaces(t *testing.T) {
	ads := L2Advertisements(twoNetworks)
	if len(ads) != 2 {
		t.Fatalf("%d advertisements", len(ads))
	}
	for i, a := range ads {
		p := twoNetworks.Pools[i]
		if len(a.Spec.IPAddressPools) != 1 || a.Spec.IPAddressPools[0] != p.Name {
			t.Errorf("%s advertises %v", a.Name, a.Spec.IPAddressPools)
		}
		if len(a.Spec.Interfaces) != len(p.Interfaces) || a.Spec.Interfaces[0] != p.Interfaces[0] {
			t.Errorf("%s on %v, want %v", a.Name, a.Spec.Interfaces, p.Interfaces)
		}
	}
	if len(ads[1].Spec.NodeSelectors) != 0 {
		t.Error("internal pool is on every node; it needs no node selector")
	}
	for _, p := range IPAddressPools(twoNetworks) {
		if p.Spec.AutoAssign == nil || *p.Spec.AutoAssign {
			t.Errorf("%s: auto-assign must be off", p.Name)
		}
	}
}

func TestNamespaceSpec_PrivilegedWithReason(t *testing.T) {
	ns := NamespaceSpec()
	if err := ns.Validate(); err != nil {
		t.Fatal(err)
	}
	if ns.Enforce != podsecurity.Privileged || ns.Reason == "" {
		t.Errorf("metallb-system: enforce %s, reason %q", ns.Enforce, ns.Reason)
	}
}

func TestConfig_Validate(t *testing.T) {
	for name, c := range map[string]Config{
		"no pools":     {},
		"no interface": {Pools: []Pool{{Name: "a", Range: "10.0.0.1-10.0.0.2"}}},
		"duplicate":    {Pools: []Pool{{Name: "a", Range: "x", Interfaces: []string{"e"}}, {Name: "a", Range: "y", Interfaces: []string{"e"}}}},
	} {
		if c.Validate() == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
