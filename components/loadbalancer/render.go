// Package loadbalancer installs MetalLB (layer 2) from its Helm chart at a
// pinned version and configures it with IPAddressPool and L2Advertisement
// objects: one pool per configured range, each announced only on the
// interfaces of the network it belongs to. The retired ConfigMap
// configuration of MetalLB < 0.13 (the blog's) is not used.
//
// render.go is pure (upstream MetalLB API types and Helm values);
// component.go registers the same objects.
package loadbalancer

import (
	"fmt"
	"sort"

	metallbv1beta1 "go.universe.tf/metallb/api/v1beta1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"k3s-onprem/components/podsecurity"
	"k3s-onprem/internal/namespaces"
)

// The pinned chart. MetalLB's chart version equals its app version; its
// CRDs are in the chart's crds subchart and in the go.universe.tf/metallb
// module of the same version (config/crd/bases), which the real-API-server
// tests apply.
const (
	ChartName    = "metallb"
	ChartVersion = "0.16.0"
	ChartRepo    = "https://metallb.github.io/metallb"
	ReleaseName  = namespaces.MetalLBRelease
	Namespace    = namespaces.MetalLBName
)

// The speaker's memberlist key: created by this component from a random
// value before the chart is installed, so the controller finds it and does
// not generate its own (it only creates the Secret when it is missing).
const (
	MemberlistSecret = "metallb-memberlist"
	MemberlistKey    = "secretkey"
)

// Pool is one address range announced on one network.
type Pool struct {
	Name string
	// Range is "first-last" or a CIDR, as MetalLB takes it.
	Range string
	// Interfaces are the node interfaces on the pool's network; MetalLB
	// answers ARP for the pool's addresses only there.
	Interfaces []string
	// Nodes limits announcements to these nodes (node names); empty
	// means every node, because every node is on the network.
	Nodes []string
}

// Config is the pure input of the component.
type Config struct {
	Pools []Pool
}

// Validate checks what the renderers rely on.
func (c Config) Validate() error {
	if len(c.Pools) == 0 {
		return fmt.Errorf("loadbalancer: no pools")
	}
	seen := map[string]bool{}
	for _, p := range c.Pools {
		if p.Name == "" || p.Range == "" {
			return fmt.Errorf("loadbalancer: pool %q needs a name and a range", p.Name)
		}
		if seen[p.Name] {
			return fmt.Errorf("loadbalancer: pool %s declared twice", p.Name)
		}
		seen[p.Name] = true
		if len(p.Interfaces) == 0 {
			return fmt.Errorf("loadbalancer: pool %s has no interface to announce on", p.Name)
		}
	}
	return nil
}

// IPAddressPools renders one IPAddressPool per pool. Addresses are never
// auto-assigned from a pool a Service did not ask for: a Service without
// the address-pool annotation gets no address rather than a public one by
// accident.
func IPAddressPools(c Config) []metallbv1beta1.IPAddressPool {
	var out []metallbv1beta1.IPAddressPool
	for _, p := range c.Pools {
		autoAssign := false
		out = append(out, metallbv1beta1.IPAddressPool{
			TypeMeta:   metav1.TypeMeta{APIVersion: metallbv1beta1.GroupVersion.String(), Kind: "IPAddressPool"},
			ObjectMeta: metav1.ObjectMeta{Name: p.Name, Namespace: Namespace},
			Spec:       metallbv1beta1.IPAddressPoolSpec{Addresses: []string{p.Range}, AutoAssign: &autoAssign},
		})
	}
	return out
}

// L2Advertisements renders one L2Advertisement per pool, limited to the
// pool's interfaces (and nodes), so an external address is never answered
// for on the internal network and the other way round.
func L2Advertisements(c Config) []metallbv1beta1.L2Advertisement {
	var out []metallbv1beta1.L2Advertisement
	for _, p := range c.Pools {
		ifaces := append([]string(nil), p.Interfaces...)
		sort.Strings(ifaces)
		spec := metallbv1beta1.L2AdvertisementSpec{IPAddressPools: []string{p.Name}, Interfaces: ifaces}
		if len(p.Nodes) > 0 {
			nodes := append([]string(nil), p.Nodes...)
			sort.Strings(nodes)
			spec.NodeSelectors = []metav1.LabelSelector{{MatchExpressions: []metav1.LabelSelectorRequirement{{
				// k3s sets the node name as the hostname override,
				// so this label carries the configured node name.
				Key: "kubernetes.io/hostname", Operator: metav1.LabelSelectorOpIn, Values: nodes,
			}}}}
		}
		out = append(out, metallbv1beta1.L2Advertisement{
			TypeMeta:   metav1.TypeMeta{APIVersion: metallbv1beta1.GroupVersion.String(), Kind: "L2Advertisement"},
			ObjectMeta: metav1.ObjectMeta{Name: p.Name, Namespace: Namespace},
			Spec:       spec,
		})
	}
	return out
}

// Values are the chart values. Layer 2 only: the FRR (BGP) sidecar is
// off, which leaves the speaker fewer capabilities and images.
func Values() map[string]any {
	return map[string]any{
		"speaker": map[string]any{
			"secretName": MemberlistSecret,
			"frr":        map[string]any{"enabled": false},
		},
		"controller": map[string]any{
			// Non-root with the runtime's seccomp profile and no
			// capabilities: the controller only talks to the API.
			"securityContext": map[string]any{"runAsNonRoot": true, "runAsUser": 65534, "fsGroup": 65534, "seccompProfile": map[string]any{"type": "RuntimeDefault"}},
		},
		// The metrics port the namespace's NetworkPolicy opens, set rather
		// than left to the chart: MetalLB 0.16 serves metrics over HTTPS
		// itself and moved the chart default from 7472 to 9120.
		"prometheus": map[string]any{"metricsPort": namespaces.MetalLBMetricsPort},
		"crds":       map[string]any{"enabled": true},
	}
}

// NamespaceSpec is metallb-system's declaration in the namespace registry.
func NamespaceSpec() podsecurity.Namespace { return namespaces.MetalLB() }
