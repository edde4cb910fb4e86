package podsecurity

import (
	"fmt"
	"net/netip"
	"sort"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Network is what the policies need to know about cluster addressing.
type Network struct {
	// InternalCIDR holds the servers' internal addresses, where
	// kube-apiserver listens on 6443. Egress is evaluated after kube-proxy
	// has rewritten the kubernetes Service address to one of them.
	InternalCIDR string
	// ServiceCIDR's first address is the kubernetes Service (443); allowed
	// too for policy engines that match before the rewrite.
	ServiceCIDR string
	// ClusterCIDR is the pod network: host traffic to a ClusterIP arrives
	// from a node's pod-network address once kube-proxy masquerades it
	// onto flannel, so FromNodes ports admit it besides InternalCIDR.
	ClusterCIDR string
}

// Policy names every managed namespace gets.
const (
	PolicyDefaultDeny = "default-deny"
	PolicyAllowDNS    = "allow-dns"
)

// apiServerPort is where k3s's kube-apiserver listens on the servers.
const apiServerPort = 6443

// NetworkPolicies renders default-deny, DNS egress and one allow policy
// per workload (none for host-network workloads, which policies cannot
// reach) for namespace ns.
func NetworkPolicies(ns string, workloads []Workload, net Network) ([]networkingv1.NetworkPolicy, error) {
	out := []networkingv1.NetworkPolicy{
		policy(ns, PolicyDefaultDeny, metav1.LabelSelector{}, nil, nil, true, true),
		policy(ns, PolicyAllowDNS, metav1.LabelSelector{}, nil, []networkingv1.NetworkPolicyEgressRule{dnsEgress()}, false, true),
	}
	for _, w := range workloads {
		if w.HostNetwork {
			continue
		}
		if len(w.Selector) == 0 {
			return nil, fmt.Errorf("namespace %s: workload %s has no pod selector", ns, w.Name)
		}
		var in []networkingv1.NetworkPolicyIngressRule
		if len(w.Public) > 0 {
			// No "from": any source. Clients arrive with their own
			// address (externalTrafficPolicy Local), and the API server
			// calls webhooks from host addresses that vary by node.
			in = append(in, networkingv1.NetworkPolicyIngressRule{Ports: ports(w.Public)})
		}
		if len(w.FromNodes) > 0 {
			from, err := nodeSources(net)
			if err != nil {
				return nil, fmt.Errorf("namespace %s: workload %s: %w", ns, w.Name, err)
			}
			in = append(in, networkingv1.NetworkPolicyIngressRule{From: from, Ports: ports(w.FromNodes)})
		}
		if len(w.Metrics) > 0 {
			in = append(in, networkingv1.NetworkPolicyIngressRule{
				From:  []networkingv1.NetworkPolicyPeer{{NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{LabelScrapeMetrics: "true"}}}},
				Ports: ports(w.Metrics),
			})
		}
		var eg []networkingv1.NetworkPolicyEgressRule
		if w.APIServer {
			rules, err := apiServerEgress(net)
			if err != nil {
				return nil, fmt.Errorf("namespace %s: %w", ns, err)
			}
			eg = append(eg, rules...)
		}
		if w.AnyEgress {
			// An empty rule allows all egress.
			eg = append(eg, networkingv1.NetworkPolicyEgressRule{})
		}
		if w.AllPods {
			eg = append(eg, networkingv1.NetworkPolicyEgressRule{To: []networkingv1.NetworkPolicyPeer{{NamespaceSelector: &metav1.LabelSelector{}}}})
		}
		sel := metav1.LabelSelector{MatchLabels: w.Selector}
		out = append(out, policy(ns, "allow-"+w.Name, sel, in, eg, len(in) > 0, len(eg) > 0))
	}
	return out, nil
}

func policy(ns, name string, sel metav1.LabelSelector, in []networkingv1.NetworkPolicyIngressRule, eg []networkingv1.NetworkPolicyEgressRule, ingress, egress bool) networkingv1.NetworkPolicy {
	p := networkingv1.NetworkPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec:       networkingv1.NetworkPolicySpec{PodSelector: sel, Ingress: in, Egress: eg},
	}
	// Listing a type with no rules denies that direction for the selected
	// pods; default-deny relies on exactly that.
	if ingress {
		p.Spec.PolicyTypes = append(p.Spec.PolicyTypes, networkingv1.PolicyTypeIngress)
	}
	if egress {
		p.Spec.PolicyTypes = append(p.Spec.PolicyTypes, networkingv1.PolicyTypeEgress)
	}
	return p
}

// dnsEgress allows DNS to CoreDNS, which k3s labels k8s-app=kube-dns.
func dnsEgress() networkingv1.NetworkPolicyEgressRule {
	return networkingv1.NetworkPolicyEgressRule{
		To: []networkingv1.NetworkPolicyPeer{{
			NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"kubernetes.io/metadata.name": "kube-system"}},
			PodSelector:       &metav1.LabelSelector{MatchLabels: map[string]string{"k8s-app": "kube-dns"}},
		}},
		Ports: ports([]Port{{Port: 53, Protocol: "UDP"}, {Port: 53}}),
	}
}

// nodeSources are the nodes' addresses: the internal network and the pod
// network (masqueraded host traffic). An empty "from" would admit every
// source, so both must be known.
func nodeSources(net Network) ([]networkingv1.NetworkPolicyPeer, error) {
	var out []networkingv1.NetworkPolicyPeer
	for _, c := range []struct{ name, cidr string }{{"internal", net.InternalCIDR}, {"cluster", net.ClusterCIDR}} {
		p, err := netip.ParsePrefix(c.cidr)
		if err != nil {
			return nil, fmt.Errorf("%s CIDR: %w", c.name, err)
		}
		out = append(out, networkingv1.NetworkPolicyPeer{IPBlock: &networkingv1.IPBlock{CIDR: p.Masked().String()}})
	}
	return out, nil
}

func apiServerEgress(net Network) ([]networkingv1.NetworkPolicyEgressRule, error) {
	internal, err := netip.ParsePrefix(net.InternalCIDR)
	if err != nil {
		return nil, fmt.Errorf("internal CIDR: %w", err)
	}
	svc, err := netip.ParsePrefix(net.ServiceCIDR)
	if err != nil {
		return nil, fmt.Errorf("service CIDR: %w", err)
	}
	kubernetesSvc := netip.PrefixFrom(svc.Masked().Addr().Next(), 32)
	return []networkingv1.NetworkPolicyEgressRule{
		{To: []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: internal.Masked().String()}}}, Ports: ports([]Port{{Port: apiServerPort}})},
		{To: []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: kubernetesSvc.String()}}}, Ports: ports([]Port{{Port: 443}})},
	}, nil
}

func ports(ps []Port) []networkingv1.NetworkPolicyPort {
	out := make([]networkingv1.NetworkPolicyPort, 0, len(ps))
	for _, p := range ps {
		proto := corev1.ProtocolTCP
		if p.Protocol == "UDP" {
			proto = corev1.ProtocolUDP
		}
		port := intstr.FromInt32(p.Port)
		out = append(out, networkingv1.NetworkPolicyPort{Protocol: &proto, Port: &port})
	}
	return out
}

// NewNamespaceTemplate is the documented starting point for a namespace
// created after the stack ran: restricted PSA labels, a default service
// account without a token, default-deny, DNS, and traffic from the ingress
// controllers' namespaces (ingressNamespaces) to any pod.
func NewNamespaceTemplate(name string, ingressNamespaces []string) (corev1.Namespace, corev1.ServiceAccount, []networkingv1.NetworkPolicy) {
	ns := corev1.Namespace{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: Labels(Namespace{Name: name, Enforce: Restricted})},
	}
	pols, _ := NetworkPolicies(name, nil, Network{})
	if len(ingressNamespaces) > 0 {
		sorted := append([]string(nil), ingressNamespaces...)
		sort.Strings(sorted)
		from := networkingv1.NetworkPolicyPeer{NamespaceSelector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{
			Key: "kubernetes.io/metadata.name", Operator: metav1.LabelSelectorOpIn, Values: sorted,
		}}}}
		pols = append(pols, policy(name, "allow-from-ingress", metav1.LabelSelector{},
			[]networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{from}}}, nil, true, false))
	}
	return ns, DefaultServiceAccount(name), pols
}
