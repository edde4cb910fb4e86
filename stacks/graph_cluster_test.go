package stacks

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"k3s-onprem/internal/plan"
)

// clusterComponents are the types whose children are the cluster layer.
var clusterComponents = []string{"k3s-onprem:podsecurity:PodSecurity", "k3s-onprem:loadbalancer:LoadBalancer", "k3s-onprem:ingress:Ingress"}

// clusterObjects returns the Kubernetes resources of the cluster layer.
func clusterObjects(p *plan.Plan) []*plan.Resource {
	parents := map[string]bool{}
	for _, typ := range clusterComponents {
		for _, c := range p.OfType(typ) {
			parents[c.URN] = true
		}
	}
	var out []*plan.Resource
	for _, r := range p.Resources {
		if parents[r.Parent] && strings.HasPrefix(r.Type, "kubernetes:") {
			out = append(out, r)
		}
	}
	return out
}

func countByType(rs []*plan.Resource) map[string]int {
	n := map[string]int{}
	for _, r := range rs {
		n[r.Type]++
	}
	return n
}

func TestGraph_ClusterLayerProd(t *testing.T) {
	p := planStack(t, "prod", nil)
	objs := clusterObjects(p)
	got := countByType(objs)
	want := map[string]int{
		"kubernetes:core/v1:Namespace":                                                5,  // metallb-system, ingress-nginx, ingress-nginx-internal, falco-responder, falco
		"kubernetes:core/v1:ServiceAccountPatch":                                      8,  // + default, kube-public, kube-node-lease
		"kubernetes:networking.k8s.io/v1:NetworkPolicy":                               22, // 2 per namespace, 1 per pod-network workload
		"kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy":        1,
		"kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding": 1,
		"kubernetes:core/v1:Secret":                                                   1, // memberlist key
		"kubernetes:helm.sh/v3:Release":                                               3,
		"kubernetes:metallb.io/v1beta1:IPAddressPool":                                 2,
		"kubernetes:metallb.io/v1beta1:L2Advertisement":                               2,
	}
	for typ, n := range want {
		if got[typ] != n {
			t.Errorf("%s: %d, want %d", typ, got[typ], n)
		}
	}
	if len(got) != len(want) {
		t.Errorf("unexpected types: %v", got)
	}
	if n := len(p.OfType("kubernetes:policy/v1beta1:PodSecurityPolicy")); n != 0 {
		t.Errorf("%d PodSecurityPolicies on k3s 1.34", n)
	}

	prov := p.Named("pulumi:providers:kubernetes", "prod-k3s")
	server0 := p.Named("k3s-onprem:k3s:Server", "server-1")
	if prov == nil || server0 == nil {
		t.Fatal("no k3s provider or first server")
	}
	for _, r := range objs {
		if !strings.HasPrefix(r.Provider, prov.URN+"::") {
			t.Errorf("%s: provider %s, want the k3s provider", r.Name, r.Provider)
		}
		if r.DeletedWith != server0.URN {
			t.Errorf("%s: DeletedWith %q, want the first server", r.Name, r.DeletedWith)
		}
	}

	for name, wantNS := range map[string]string{
		"namespace-metallb-system": "privileged", "namespace-ingress-nginx": "restricted", "namespace-ingress-nginx-internal": "restricted",
	} {
		ns := p.Named("kubernetes:core/v1:Namespace", name)
		labels := ns.Inputs["metadata"].ObjectValue()["labels"].ObjectValue()
		if e := labels["pod-security.kubernetes.io/enforce"].StringValue(); e != wantNS {
			t.Errorf("%s enforce %s, want %s", name, e, wantNS)
		}
		for _, k := range []string{"audit", "warn"} {
			if labels[resource.PropertyKey("pod-security.kubernetes.io/"+k)].StringValue() != "restricted" {
				t.Errorf("%s: %s label not restricted", name, k)
			}
		}
	}

	charts := map[string]string{}
	for _, r := range p.OfType("kubernetes:helm.sh/v3:Release") {
		charts[r.Name] = plan.Str(r.Inputs, "chart") + "@" + plan.Str(r.Inputs, "version")
	}
	for rel, chart := range map[string]string{
		"prod-loadbalancer-metallb":           "metallb@0.16.0",
		"prod-ingress-ingress-nginx":          "ingress-nginx@4.15.1",
		"prod-ingress-ingress-nginx-internal": "ingress-nginx@4.15.1",
	} {
		if charts[rel] != chart {
			t.Errorf("%s: %q, want %s", rel, charts[rel], chart)
		}
	}

	// Workloads install after the policies that govern them, and the
	// ingress Services after the pools they take addresses from.
	// (The SDK records a dependency on a component as one on each child.)
	vap := p.Named("kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding", "validatingadmissionpolicybinding-default-service-account-no-token")
	pool := p.Named("kubernetes:metallb.io/v1beta1:IPAddressPool", "ipaddresspool-metallb-system-external")
	for _, r := range p.OfType("kubernetes:helm.sh/v3:Release") {
		if strings.HasPrefix(r.Name, "prod-falco") {
			continue
		}
		ns := p.Named("kubernetes:core/v1:Namespace", "namespace-"+plan.Str(r.Inputs, "namespace"))
		if ns == nil || !p.DependsOnTransitively(r.URN, ns.URN) || !p.DependsOnTransitively(r.URN, vap.URN) {
			t.Errorf("%s does not wait for the pod security layer", r.Name)
		}
		if strings.HasPrefix(r.Name, "prod-ingress") && !p.DependsOnTransitively(r.URN, pool.URN) {
			t.Errorf("%s does not wait for the MetalLB pools", r.Name)
		}
	}
}

func TestGraph_ClusterLayerPSPOnlyOn124(t *testing.T) {
	p := planStack(t, "prod", func(raw map[string]string) {
		raw["k3s"] = `{"version": "v1.24.17+k3s1"}`
		raw["podSecurity"] = `{"mode": "psp"}`
	})
	objs := clusterObjects(p)
	got := countByType(objs)
	for typ, n := range map[string]int{
		"kubernetes:policy/v1beta1:PodSecurityPolicy":                          3,
		"kubernetes:rbac.authorization.k8s.io/v1:ClusterRole":                  3,
		"kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding":           2,
		"kubernetes:rbac.authorization.k8s.io/v1:RoleBinding":                  4, // kube-system + metallb speaker + 2 ingress
		"kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy": 0,
	} {
		if got[typ] != n {
			t.Errorf("%s: %d, want %d", typ, got[typ], n)
		}
	}
	for _, name := range []string{"podsecuritypolicy-system-unrestricted-psp", "podsecuritypolicy-global-restricted-psp"} {
		if p.Named("kubernetes:policy/v1beta1:PodSecurityPolicy", name) == nil {
			t.Errorf("no %s", name)
		}
	}
	for _, ns := range p.OfType("kubernetes:core/v1:Namespace") {
		if md := ns.Inputs["metadata"].ObjectValue(); md["labels"].HasValue() && len(md["labels"].ObjectValue()) > 0 && strings.HasPrefix(ns.Name, "namespace-") {
			if _, ok := md["labels"].ObjectValue()["pod-security.kubernetes.io/enforce"]; ok && !strings.Contains(ns.Name, "falco") {
				t.Errorf("%s: PSA label in PSP mode", ns.Name)
			}
		}
	}
	for _, r := range p.OfType("kubernetes:helm.sh/v3:Release") {
		if strings.HasPrefix(r.Name, "prod-ingress") && plan.Str(r.Inputs, "version") != "4.7.5" {
			t.Errorf("%s: chart %s on 1.24, want 4.7.5", r.Name, plan.Str(r.Inputs, "version"))
		}
	}

	// And the PSPs never appear on a PSA cluster (prod is 1.34).
	if n := countByType(clusterObjects(planStack(t, "prod", nil)))["kubernetes:policy/v1beta1:PodSecurityPolicy"]; n != 0 {
		t.Errorf("%d PSPs in the PSA plan", n)
	}
}

func TestGraph_ClusterLayerDevPools(t *testing.T) {
	p := planStack(t, "dev", nil)
	for _, r := range p.OfType("kubernetes:metallb.io/v1beta1:L2Advertisement") {
		spec := r.Inputs["spec"].ObjectValue()
		ifaces := spec["interfaces"].ArrayValue()
		// dev has one network: both pools are announced on eth0.
		if len(ifaces) != 1 || ifaces[0].StringValue() != "eth0" {
			t.Errorf("%s: interfaces %v", r.Name, ifaces)
		}
	}
}
