package podsecurity

import (
	"slices"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"

	"k3s-onprem/internal/namespaces"
)

// Every namespace of the registry renders: default-deny, DNS and one allow
// policy per workload that is not on the host network.
func TestRender_EveryRegistryNamespace(t *testing.T) {
	net := Network{InternalCIDR: "192.168.122.0/24", ServiceCIDR: "10.43.0.0/16", ClusterCIDR: "10.42.0.0/16"}
	m, err := Render(Config{Mode: ModePSA, KubeMinor: 34, Namespaces: namespaces.For(namespaces.Every), Network: net})
	if err != nil {
		t.Fatal(err)
	}
	byNS := map[string][]string{}
	for _, p := range m.NetworkPolicies {
		byNS[p.Namespace] = append(byNS[p.Namespace], p.Name)
	}
	for _, ns := range namespaces.For(namespaces.Every) {
		want := []string{PolicyDefaultDeny, PolicyAllowDNS}
		for _, w := range ns.Workloads {
			if !w.HostNetwork {
				want = append(want, "allow-"+w.Name)
			}
		}
		if !slices.Equal(byNS[ns.Name], want) {
			t.Errorf("%s: policies %v, want %v", ns.Name, byNS[ns.Name], want)
		}
	}
}

// A FromNodes listener admits the internal and cluster CIDRs and nothing
// else (never an empty "from", which would admit everyone); AnyEgress
// opens egress for forwarders whose targets are external URLs.
func TestNetworkPolicies_FromNodesAndAnyEgress(t *testing.T) {
	net := Network{InternalCIDR: "192.168.122.7/24", ServiceCIDR: "10.43.0.0/16", ClusterCIDR: "10.42.0.0/16"}
	sensors := namespaces.FalcoSensors()
	pols, err := NetworkPolicies(sensors.Name, sensors.Workloads, net)
	if err != nil {
		t.Fatal(err)
	}
	var allows []networkingv1.NetworkPolicy
	for _, p := range pols {
		if p.Name != PolicyDefaultDeny && p.Name != PolicyAllowDNS {
			allows = append(allows, p)
		}
	}
	if len(allows) != len(sensors.Workloads) {
		t.Fatalf("%d allow policies for %d workloads", len(allows), len(sensors.Workloads))
	}
	for _, p := range allows {
		if len(p.Spec.Ingress) != 1 {
			t.Fatalf("%s: %d ingress rules", p.Name, len(p.Spec.Ingress))
		}
		var cidrs []string
		for _, peer := range p.Spec.Ingress[0].From {
			cidrs = append(cidrs, peer.IPBlock.CIDR)
		}
		if !slices.Equal(cidrs, []string{"192.168.122.0/24", "10.42.0.0/16"}) {
			t.Errorf("%s admits %v, want the internal and cluster CIDRs only", p.Name, cidrs)
		}
		if len(p.Spec.Egress) != 1 || len(p.Spec.Egress[0].To) != 0 || len(p.Spec.Egress[0].Ports) != 0 {
			t.Errorf("%s: egress %+v, want one rule open to anywhere", p.Name, p.Spec.Egress)
		}
	}
	if _, err := NetworkPolicies(sensors.Name, sensors.Workloads, Network{InternalCIDR: net.InternalCIDR}); err == nil {
		t.Error("a FromNodes listener without the cluster CIDR rendered; it must be refused")
	}
}
