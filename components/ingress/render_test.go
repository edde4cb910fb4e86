package ingress

import (
	"testing"

	"sigs.k8s.io/yaml"

	"k3s-onprem/components/podsecurity"
	"k3s-onprem/internal/golden"
)

var prod = Config{KubeMinor: 34, Controllers: []Controller{
	{Name: "external", ClassName: "nginx", Pool: "external", LoadBalancerIP: "192.168.1.200", Replicas: 3},
	{Name: "internal", ClassName: "nginx-internal", Pool: "internal", Replicas: 2},
}}

func TestGolden_Values(t *testing.T) {
	for name, cfg := range map[string]Config{"v1.34": prod, "v1.24-psp": {KubeMinor: 24, PSP: true, Controllers: prod.Controllers}} {
		rels, err := Releases(cfg)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rels {
			y, err := yaml.Marshal(r.Values)
			if err != nil {
				t.Fatal(err)
			}
			golden.Assert(t, r.Name+"-"+name+".values.yaml", y)
		}
	}
}

func TestReleases_ClassesPoolsAndAddresses(t *testing.T) {
	rels, err := Releases(prod)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct{ ns, class, pool, ip string }{
		"external": {"ingress-nginx", "nginx", "external", "192.168.1.200"},
		"internal": {"ingress-nginx-internal", "nginx-internal", "internal", ""},
	}
	for _, r := range rels {
		w := want[r.Controller.Name]
		c := r.Values["controller"].(map[string]any)
		svc := c["service"].(map[string]any)
		ann := svc["annotations"].(map[string]any)
		icr := c["ingressClassResource"].(map[string]any)
		if r.Namespace != w.ns || icr["name"] != w.class || c["ingressClass"] != w.class || ann[AnnotationAddressPool] != w.pool {
			t.Errorf("%s: ns %s class %v pool %v", r.Name, r.Namespace, icr["name"], ann[AnnotationAddressPool])
		}
		if ip, _ := ann[AnnotationIPs].(string); ip != w.ip {
			t.Errorf("%s: fixed IP %q, want %q", r.Name, ip, w.ip)
		}
		if svc["externalTrafficPolicy"] != "Local" || svc["type"] != "LoadBalancer" {
			t.Errorf("%s: service %v", r.Name, svc)
		}
		if icr["controllerValue"] != "k8s.io/"+r.Name {
			t.Errorf("%s: controller value %v shared with the other controller", r.Name, icr["controllerValue"])
		}
		sc := c["containerSecurityContext"].(map[string]any)
		caps := sc["capabilities"].(map[string]any)
		if sc["runAsNonRoot"] != true || sc["allowPrivilegeEscalation"] != false || len(caps["add"].([]any)) != 1 || caps["add"].([]any)[0] != "NET_BIND_SERVICE" {
			t.Errorf("%s: security context %v", r.Name, sc)
		}
		if c["replicaCount"] != r.Controller.Replicas {
			t.Errorf("%s: replicas %v", r.Name, c["replicaCount"])
		}
	}
}

func TestReleases_ChartPinnedByVersion(t *testing.T) {
	for minor, want := range map[int]string{24: "4.7.5", 25: "4.15.1", 34: "4.15.1", 35: "4.15.1"} {
		rels, err := Releases(Config{KubeMinor: minor, Controllers: prod.Controllers[:1]})
		if err != nil {
			t.Fatal(err)
		}
		if rels[0].Chart.Version != want {
			t.Errorf("1.%d: chart %s, want %s", minor, rels[0].Chart.Version, want)
		}
	}
}

func TestReleases_Rejects(t *testing.T) {
	for name, c := range map[string]Controller{
		"unknown kind": {Name: "x", Kind: "haproxy", ClassName: "x", Pool: "p", Replicas: 1},
		"no pool":      {Name: "x", ClassName: "x", Replicas: 1},
		"no replicas":  {Name: "x", ClassName: "x", Pool: "p"},
	} {
		if _, err := Releases(Config{Controllers: []Controller{c}}); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := Releases(Config{Controllers: []Controller{prod.Controllers[0], prod.Controllers[0]}}); err == nil {
		t.Error("two controllers with one class accepted")
	}
}

func TestNamespaces_RestrictedWithPolicies(t *testing.T) {
	nss, err := Namespaces(prod)
	if err != nil {
		t.Fatal(err)
	}
	if len(nss) != 2 {
		t.Fatalf("%d namespaces", len(nss))
	}
	for _, ns := range nss {
		if ns.Enforce != podsecurity.Restricted {
			t.Errorf("%s: enforce %s", ns.Name, ns.Enforce)
		}
		if err := ns.Validate(); err != nil {
			t.Error(err)
		}
	}
}
