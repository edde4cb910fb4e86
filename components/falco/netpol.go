package falco

import (
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	networkingv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/networking/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// NetworkPolicies (CIS 5.3.2): each Falco namespace denies everything by
// default, then opens exactly the listener it serves. The listeners are
// reached from the nodes' host network (host-mode Falco, the API server's
// audit webhook), whose traffic to a ClusterIP arrives from a node address
// or, once kube-proxy masquerades it onto flannel, from the node's
// pod-network address; so the allowed sources are the internal and cluster
// CIDRs, never the public network. Egress stays open for the forwarders:
// sidekick's outputs are arbitrary external URLs, and the sensors post to
// sidekick and fetch their pinned artifacts.

// listener is one allowed inbound port for pods matching a selector.
type listener struct {
	selector map[string]string
	port     int
}

func networkPolicies(ctx *pulumi.Context, name, ns string, sources []string, allow []listener, opts []pulumi.ResourceOption) error {
	meta := func(n string) *metav1.ObjectMetaArgs {
		return &metav1.ObjectMetaArgs{Name: pulumi.String(n), Namespace: pulumi.String(ns)}
	}
	if _, err := networkingv1.NewNetworkPolicy(ctx, name+"-default-deny", &networkingv1.NetworkPolicyArgs{
		Metadata: meta("default-deny"),
		Spec: &networkingv1.NetworkPolicySpecArgs{
			PodSelector: &metav1.LabelSelectorArgs{},
			PolicyTypes: pulumi.ToStringArray([]string{"Ingress", "Egress"}),
		},
	}, opts...); err != nil {
		return err
	}
	from := networkingv1.NetworkPolicyPeerArray{}
	for _, cidr := range sources {
		from = append(from, networkingv1.NetworkPolicyPeerArgs{IpBlock: &networkingv1.IPBlockArgs{Cidr: pulumi.String(cidr)}})
	}
	for i, l := range allow {
		_, err := networkingv1.NewNetworkPolicy(ctx, name+"-allow-"+itoa(i), &networkingv1.NetworkPolicyArgs{
			Metadata: meta("allow-listener-" + itoa(l.port)),
			Spec: &networkingv1.NetworkPolicySpecArgs{
				PodSelector: &metav1.LabelSelectorArgs{MatchLabels: pulumi.ToStringMap(l.selector)},
				PolicyTypes: pulumi.ToStringArray([]string{"Ingress", "Egress"}),
				Ingress: networkingv1.NetworkPolicyIngressRuleArray{networkingv1.NetworkPolicyIngressRuleArgs{
					From:  from,
					Ports: networkingv1.NetworkPolicyPortArray{networkingv1.NetworkPolicyPortArgs{Protocol: pulumi.String("TCP"), Port: pulumi.Int(l.port)}},
				}},
				// An empty rule allows all egress.
				Egress: networkingv1.NetworkPolicyEgressRuleArray{networkingv1.NetworkPolicyEgressRuleArgs{}},
			},
		}, opts...)
		if err != nil {
			return err
		}
	}
	return nil
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	s := ""
	for ; i > 0; i /= 10 {
		s = string(rune('0'+i%10)) + s
	}
	return s
}
