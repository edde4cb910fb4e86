package ingress

import (
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"k3s-onprem/internal/golden"
	"k3s-onprem/internal/namespaces"
	"k3s-onprem/internal/upstream"
)

// prodTraefik is the prod stack's two controllers on Traefik.
var prodTraefik = Config{KubeMinor: 34, Controllers: []Controller{
	{Name: "external", Kind: KindTraefik, ClassName: "traefik", Pool: "external", LoadBalancerIP: "192.168.1.200", Replicas: 3},
	{Name: "internal", Kind: KindTraefik, ClassName: "traefik-internal", Pool: "internal", Replicas: 2},
}}

func TestGolden_TraefikValues(t *testing.T) {
	rels, err := Releases(prodTraefik)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rels {
		y, err := yaml.Marshal(r.Values)
		if err != nil {
			t.Fatal(err)
		}
		golden.Assert(t, r.Name+"-v1.34.values.yaml", y)
	}
}

// The GatewayClass and Gateway of each controller, as the component
// registers them (status left out: the controller writes it).
func TestGolden_Gateways(t *testing.T) {
	gws, err := Gateways(prodTraefik)
	if err != nil {
		t.Fatal(err)
	}
	if len(gws) != 2 {
		t.Fatalf("%d gateways", len(gws))
	}
	for _, g := range gws {
		var b strings.Builder
		for _, o := range []any{g.Class, g.Gateway} {
			y, err := yaml.Marshal(o)
			if err != nil {
				t.Fatal(err)
			}
			b.WriteString("---\n")
			b.Write(y)
		}
		golden.Assert(t, "gateway-"+g.Controller.Name+".yaml", []byte(b.String()))
	}
	// ingress-nginx controllers have no Gateway API objects.
	if gws, err := Gateways(prod); err != nil || len(gws) != 0 {
		t.Errorf("ingress-nginx: %d gateways, %v", len(gws), err)
	}
}

// Each release selects exactly its own GatewayClass: the class label value
// is the release, and the release's label selector names that value, so
// the external Traefik never programs the internal Gateway (and back).
func TestTraefik_EachReleaseSelectsOnlyItsClass(t *testing.T) {
	rels, err := Releases(prodTraefik)
	if err != nil {
		t.Fatal(err)
	}
	gws, err := Gateways(prodTraefik)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rels {
		gp := r.Values["providers"].(map[string]any)["kubernetesGateway"].(map[string]any)
		sel := gp["labelSelector"].(string)
		matches := 0
		for _, g := range gws {
			k, v, _ := strings.Cut(sel, "=")
			if g.Class.Labels[k] == v {
				matches++
				if g.Controller.Name != r.Controller.Name || g.Gateway.Namespace != r.Namespace || string(g.Gateway.Spec.GatewayClassName) != g.Class.Name {
					t.Errorf("%s selects %s's class", r.Name, g.Controller.Name)
				}
			}
			if g.Class.Spec.ControllerName != TraefikGatewayController {
				t.Errorf("%s: controllerName %s", g.Class.Name, g.Class.Spec.ControllerName)
			}
		}
		if matches != 1 || gp["enabled"] != true {
			t.Errorf("%s: selector %q matches %d classes", r.Name, sel, matches)
		}
		// Providers that would claim objects across both releases are off.
		for _, p := range []string{"kubernetesIngress", "kubernetesCRD"} {
			if r.Values["providers"].(map[string]any)[p].(map[string]any)["enabled"] != false {
				t.Errorf("%s: provider %s on", r.Name, p)
			}
		}
		if !r.SkipCRDs || r.Chart != traefikChart {
			t.Errorf("%s: chart %+v skipCRDs %v", r.Name, r.Chart, r.SkipCRDs)
		}
	}
}

// The Gateway listens on the port the chart's web entrypoint binds and
// the namespace's NetworkPolicy opens; the Service maps 80 to it.
func TestTraefik_PortsAgreeWithNetworkPolicy(t *testing.T) {
	rels, err := Releases(prodTraefik)
	if err != nil {
		t.Fatal(err)
	}
	gws, _ := Gateways(prodTraefik)
	for i, r := range rels {
		web := r.Values["ports"].(map[string]any)["web"].(map[string]any)
		ns := namespaces.Traefik(r.Controller.Name)
		open := map[int32]bool{}
		for _, p := range ns.Workloads[0].Public {
			open[p.Port] = true
		}
		l := gws[i].Gateway.Spec.Listeners[0]
		if web["port"] != int(l.Port) || !open[int32(l.Port)] || web["exposedPort"] != 80 {
			t.Errorf("%s: entrypoint %v, listener %d, policy %v", r.Name, web, l.Port, open)
		}
		svc := r.Values["service"].(map[string]any)
		if svc["annotations"].(map[string]any)[AnnotationAddressPool] != r.Controller.Pool {
			t.Errorf("%s: pool %v", r.Name, svc["annotations"])
		}
		if ns.Name != r.Namespace || ns.Workloads[0].Selector["app.kubernetes.io/instance"] != r.Name+"-"+r.Namespace {
			t.Errorf("%s: namespace %s selector %v", r.Name, ns.Name, ns.Workloads[0].Selector)
		}
	}
}

// The container is non-root, read-only, without capabilities or privilege
// escalation, under RuntimeDefault seccomp: the restricted level.
func TestTraefik_Hardened(t *testing.T) {
	rels, err := Releases(prodTraefik)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rels {
		sc := r.Values["securityContext"].(map[string]any)
		psc := r.Values["podSecurityContext"].(map[string]any)
		caps := sc["capabilities"].(map[string]any)
		if sc["allowPrivilegeEscalation"] != false || sc["readOnlyRootFilesystem"] != true || len(caps) != 1 || caps["drop"].([]any)[0] != "ALL" {
			t.Errorf("%s: container %v", r.Name, sc)
		}
		if psc["runAsNonRoot"] != true || psc["runAsUser"] == 0 || psc["seccompProfile"].(map[string]any)["type"] != "RuntimeDefault" {
			t.Errorf("%s: pod %v", r.Name, psc)
		}
	}
}

// The values the Traefik releases set are keys of the pinned chart (its
// fact table), and the check bites on a key the chart does not have.
func TestTraefik_ValuesAreKeysOfThePinnedChart(t *testing.T) {
	rels, err := Releases(prodTraefik)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rels {
		problems, err := upstream.CheckHelmValues(r.Chart.Name, r.Chart.Version, r.Values)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range problems {
			t.Errorf("%s: %s", r.Name, p)
		}
	}
	// The ingress-nginx annotation provider the README points migrating
	// teams to is a value of this chart version (off here).
	keys, err := upstream.HelmValueKeys(traefikChart.Name, traefikChart.Version)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"providers.kubernetesIngressNGINX.enabled", "providers.kubernetesIngressNGINX.ingressClass", "providers.kubernetesIngressNGINX.allowSnippetAnnotations"} {
		if _, ok := keys[k]; !ok {
			t.Errorf("chart %s has no %s", traefikChart.Version, k)
		}
	}
	bad := map[string]any{"providers": map[string]any{"kubernetesGateway": map[string]any{"labelSelecter": "x=y"}}}
	problems, err := upstream.CheckHelmValues(traefikChart.Name, traefikChart.Version, bad)
	if err != nil || len(problems) != 1 || !strings.Contains(problems[0], "providers.kubernetesGateway.labelSelecter") {
		t.Errorf("misspelled key: %v %v", problems, err)
	}
}

// Traefik is refused on the PSP path and below 1.30, naming the fix.
func TestTraefik_RefusedWhereItCannotRun(t *testing.T) {
	for name, cfg := range map[string]Config{
		"v1.24 psp": {KubeMinor: 24, PSP: true, Controllers: prodTraefik.Controllers},
		"v1.29":     {KubeMinor: 29, Controllers: prodTraefik.Controllers},
	} {
		_, err := Releases(cfg)
		if err == nil || !strings.Contains(err.Error(), "needs Kubernetes >= 1.30") {
			t.Errorf("%s: %v", name, err)
		}
		if _, err := Gateways(cfg); err == nil {
			t.Errorf("%s: gateways rendered", name)
		}
	}
	if _, err := Releases(Config{KubeMinor: 30, Controllers: prodTraefik.Controllers}); err != nil {
		t.Errorf("v1.30: %v", err)
	}
}
