package stacks

import (
	"strings"
	"testing"

	"k3s-onprem/internal/plan"
)

// traefikIngress is prod's ingress config on the Traefik implementation.
const traefikIngress = `{"implementation": "traefik",
	"external": {"className": "traefik", "pool": "external", "loadBalancerIp": "192.168.1.200", "replicas": 3},
	"internal": {"className": "traefik-internal", "pool": "internal", "loadBalancerIp": "192.168.122.200", "replicas": 2}}`

// prod with ingress.implementation traefik: two Traefik releases in their
// own restricted namespaces, the Gateway API CRDs before them, and one
// GatewayClass and Gateway per controller after its release.
func TestGraph_ClusterLayerProdTraefik(t *testing.T) {
	p := planStack(t, "prod", func(raw map[string]string) { raw["ingress"] = traefikIngress })
	got := countByType(clusterObjects(p))
	for typ, n := range map[string]int{
		"kubernetes:core/v1:Namespace":                         5, // metallb-system, traefik, traefik-internal, falco-responder, falco
		"kubernetes:helm.sh/v3:Release":                        3,
		"kubernetes:gateway.networking.k8s.io/v1:GatewayClass": 2,
		"kubernetes:gateway.networking.k8s.io/v1:Gateway":      2,
		"kubernetes:yaml/v2:ConfigGroup":                       1,
		"kubernetes:networking.k8s.io/v1:NetworkPolicy":        20, // 2 per namespace, 1 per pod-network workload
	} {
		if got[typ] != n {
			t.Errorf("%s: %d, want %d (all: %v)", typ, got[typ], n, got)
		}
	}
	for _, name := range []string{"namespace-ingress-nginx", "namespace-ingress-nginx-internal"} {
		if p.Named("kubernetes:core/v1:Namespace", name) != nil {
			t.Errorf("%s created on a traefik stack", name)
		}
	}
	crds := p.Named("kubernetes:yaml/v2:ConfigGroup", "prod-ingress-gateway-api-crds")
	if crds == nil || !strings.Contains(plan.Str(crds.Inputs, "yaml"), "name: gateways.gateway.networking.k8s.io") {
		t.Fatal("no Gateway API CRDs config group with the gateways CRD")
	}
	for _, rel := range []string{"traefik", "traefik-internal"} {
		r := p.Named("kubernetes:helm.sh/v3:Release", "prod-ingress-"+rel)
		if r == nil {
			t.Fatalf("no release %s", rel)
		}
		if plan.Str(r.Inputs, "chart") != "traefik" || plan.Str(r.Inputs, "version") != "41.3.0" || plan.Str(r.Inputs, "namespace") != rel {
			t.Errorf("%s: %v", rel, r.Inputs)
		}
		ns := p.Named("kubernetes:core/v1:Namespace", "namespace-"+rel)
		if ns == nil || !p.DependsOnTransitively(r.URN, ns.URN) || !p.DependsOnTransitively(r.URN, crds.URN) {
			t.Errorf("%s does not wait for its namespace and the CRDs", rel)
		}
		gw := p.Named("kubernetes:gateway.networking.k8s.io/v1:Gateway", "gateway-"+rel+"-"+rel)
		gc := p.Named("kubernetes:gateway.networking.k8s.io/v1:GatewayClass", "gatewayclass-"+rel)
		if gw == nil || gc == nil {
			t.Fatalf("%s: gateway %v class %v", rel, gw != nil, gc != nil)
		}
		if !p.DependsOnTransitively(gw.URN, r.URN) || !p.DependsOnTransitively(gc.URN, crds.URN) {
			t.Errorf("%s: Gateway/GatewayClass do not wait for the release and the CRDs", rel)
		}
	}
}
