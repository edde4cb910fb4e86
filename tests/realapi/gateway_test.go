package realapi_test

import (
	"bytes"
	"encoding/json"
	"os"
	"sort"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	"sigs.k8s.io/yaml"

	"k3s-onprem/components/ingress"
	"k3s-onprem/stacks"
	"k3s-onprem/tests/realapi/apiserver"
)

// TestGatewayAPIObjectsPassServerSideDryRun installs the Gateway API
// standard channel exactly as the ingress component reads it
// (ingress.GatewayAPIFiles: the sigs.k8s.io/gateway-api module of go.mod,
// checked against go.sum) on a real kube-apiserver started with prod's k3s
// config, then server-side dry-runs every object the prod stack with
// ingress.implementation traefik registers (namespaces applied for real),
// an app team's HTTPRoute attached to each Gateway, and Gateways the CRD
// schema must refuse.
func TestGatewayAPIObjectsPassServerSideDryRun(t *testing.T) {
	p, err := stacks.PlanStack("../..", "prod", func(raw map[string]string) {
		raw["ingress"] = `{"implementation": "traefik",
			"external": {"pool": "external", "loadBalancerIp": "192.168.1.200", "replicas": 3},
			"internal": {"pool": "internal", "loadBalancerIp": "192.168.122.200", "replicas": 2}}`
	})
	if err != nil {
		t.Fatal(err)
	}
	objs := plannedKubeObjects(t, p)

	srv := apiserver.Start(t, renderedProdOptions(t))
	a := newApplier(t, srv.RESTConfig())
	var crds []map[string]any
	for _, m := range gatewayAPIManifests(t) {
		a.mustApply(t, m)
		if m["kind"] == "CustomResourceDefinition" {
			crds = append(crds, m)
		}
	}
	// The MetalLB pools of the plan need theirs.
	for _, c := range metallbCRDs(t) {
		a.mustApply(t, c)
		crds = append(crds, c)
	}
	waitEstablished(t, a, crds)

	sort.SliceStable(objs, func(i, j int) bool { return objs[i].isNamespace() && !objs[j].isNamespace() })
	gateways := 0
	for _, o := range objs {
		if err := a.dryRunApply(testCtx(t), o.object); err != nil {
			t.Errorf("%s (%s): server-side dry run rejected it: %v", o.name, o.typ, err)
			continue
		}
		if strings.Contains(o.typ, "gateway.networking.k8s.io") {
			gateways++
		}
		if o.isNamespace() {
			a.mustApply(t, o.object)
		}
	}
	if gateways != 4 {
		t.Errorf("%d GatewayClasses and Gateways in the traefik plan, want 4", gateways)
	}

	// An app team's route on each Gateway, in its own namespace.
	a.mustApply(t, map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": "my-app"}})
	for _, gw := range []string{"traefik", "traefik-internal"} {
		route := gatewayv1.HTTPRoute{
			TypeMeta:   metav1.TypeMeta{APIVersion: "gateway.networking.k8s.io/v1", Kind: "HTTPRoute"},
			ObjectMeta: metav1.ObjectMeta{Name: "my-app-" + gw, Namespace: "my-app"},
			Spec: gatewayv1.HTTPRouteSpec{
				CommonRouteSpec: gatewayv1.CommonRouteSpec{ParentRefs: []gatewayv1.ParentReference{{
					Name: gatewayv1.ObjectName(gw), Namespace: ptr.To(gatewayv1.Namespace(gw)), SectionName: ptr.To(gatewayv1.SectionName(ingress.ListenerHTTP)),
				}}},
				Hostnames: []gatewayv1.Hostname{"my-app.example.com"},
				Rules: []gatewayv1.HTTPRouteRule{{
					Matches: []gatewayv1.HTTPRouteMatch{{Path: &gatewayv1.HTTPPathMatch{Type: ptr.To(gatewayv1.PathMatchPathPrefix), Value: ptr.To("/")}}},
					BackendRefs: []gatewayv1.HTTPBackendRef{{BackendRef: gatewayv1.BackendRef{BackendObjectReference: gatewayv1.BackendObjectReference{
						Name: "my-app", Port: ptr.To(gatewayv1.PortNumber(80)),
					}}}},
				}},
			},
		}
		if err := a.dryRunApply(testCtx(t), toMap(t, route)); err != nil {
			t.Errorf("HTTPRoute on %s rejected: %v", gw, err)
		}
	}

	// The check must be able to fail: Gateways the schema refuses.
	gws, err := ingress.Gateways(ingress.Config{KubeMinor: 34, Controllers: []ingress.Controller{
		{Name: "external", Kind: ingress.KindTraefik, ClassName: "traefik", Pool: "external", Replicas: 1},
	}})
	if err != nil {
		t.Fatal(err)
	}
	for name, breakIt := range map[string]func(g *gatewayv1.Gateway){
		"listener name not a DNS label": func(g *gatewayv1.Gateway) { g.Spec.Listeners[0].Name = "Web_1" },
		"hostname with two wildcards": func(g *gatewayv1.Gateway) {
			g.Spec.Listeners[0].Hostname = ptr.To(gatewayv1.Hostname("*.*.example.com"))
		},
		"port out of range":      func(g *gatewayv1.Gateway) { g.Spec.Listeners[0].Port = 70000 },
		"two listeners one name": func(g *gatewayv1.Gateway) { g.Spec.Listeners = append(g.Spec.Listeners, g.Spec.Listeners[0]) },
	} {
		g := gws[0].Gateway.DeepCopy()
		g.Name = "bad"
		breakIt(g)
		if err := a.dryRunApply(testCtx(t), toMap(t, g)); err == nil {
			t.Errorf("%s: the Gateway passed the dry run", name)
		}
	}
	long := gws[0].Class.DeepCopy()
	long.Name = "bad"
	long.Spec.Description = ptr.To(strings.Repeat("x", 65))
	if err := a.dryRunApply(testCtx(t), toMap(t, long)); err == nil {
		t.Error("a GatewayClass with a 65-byte description passed the dry run")
	}
}

// gatewayAPIManifests parses the standard channel files the component
// installs.
func gatewayAPIManifests(t *testing.T) []map[string]any {
	t.Helper()
	files, err := ingress.GatewayAPIFiles()
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, doc := range bytes.Split(b, []byte("\n---")) {
			var m map[string]any
			if err := yaml.Unmarshal(doc, &m); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if m != nil {
				out = append(out, m)
			}
		}
	}
	return out
}

func toMap(t *testing.T, o any) map[string]any {
	t.Helper()
	b, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}
