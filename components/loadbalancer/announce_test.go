package loadbalancer

import (
	"slices"
	"testing"
)

func TestAnnounce(t *testing.T) {
	nodes := []NodeNetworks{
		{Name: "s1", InternalInterface: "eth0", ExternalInterface: "eth1"},
		{Name: "s2", InternalInterface: "eth0", ExternalInterface: "ens4"},
		{Name: "a1", InternalInterface: "enp1s0"},
	}
	cfg := Announce([]PoolRequest{
		{Name: "internal", Range: "10.0.0.200-10.0.0.220", Network: NetworkInternal},
		{Name: "external", Range: "192.0.2.10-192.0.2.20", Network: NetworkExternal},
	}, nodes)
	in, ex := cfg.Pools[0], cfg.Pools[1]
	if !slices.Equal(in.Interfaces, []string{"enp1s0", "eth0"}) || in.Nodes != nil {
		t.Errorf("internal pool: %+v, want every node's internal interface and no node limit", in)
	}
	if !slices.Equal(ex.Interfaces, []string{"ens4", "eth1"}) || !slices.Equal(ex.Nodes, []string{"s1", "s2"}) {
		t.Errorf("external pool: %+v, want the external interfaces, announced only by the nodes that have one", ex)
	}
	all := Announce([]PoolRequest{{Name: "external", Network: NetworkExternal}}, nodes[:2])
	if all.Pools[0].Nodes != nil {
		t.Errorf("every node has the external network, yet the pool is limited to %v", all.Pools[0].Nodes)
	}
}
