package podsecurity

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"k3s-onprem/internal/plan"
)

// runLayer registers the layer under mocks with a provider and a stand-in
// for the resource the cluster dies with.
func runLayer(t *testing.T, cfg Config) *plan.Plan {
	t.Helper()
	p, err := plan.Run("k3s-onprem", "test", nil, nil, func(ctx *pulumi.Context) error {
		prov, err := kubernetes.NewProvider(ctx, "k3s", &kubernetes.ProviderArgs{Kubeconfig: pulumi.String("mock")})
		if err != nil {
			return err
		}
		cluster, err := kubernetes.NewProvider(ctx, "cluster-stand-in", &kubernetes.ProviderArgs{})
		if err != nil {
			return err
		}
		_, err = NewPodSecurity(ctx, "podsecurity", &Args{Config: cfg, Provider: prov, DeletedWith: cluster})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// normalise gives both sides the same JSON shapes (numbers as float64)
// and drops empty lists and maps: the SDK sends an unset list as [] and an
// unset selector as {matchLabels: {}, ...}, which the API treats as unset.
func normalise(t *testing.T, v any) any {
	t.Helper()
	j, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(j, &out); err != nil {
		t.Fatal(err)
	}
	return prune(out)
}

func prune(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			e = prune(e)
			if empty(e) {
				delete(x, k)
			} else {
				x[k] = e
			}
		}
	case []any:
		for i := range x {
			x[i] = prune(x[i])
		}
	}
	return v
}

func empty(v any) bool {
	switch x := v.(type) {
	case map[string]any:
		return len(x) == 0
	case []any:
		return len(x) == 0
	case nil:
		return true
	}
	return false
}

// TestComponent_RegistersExactlyTheRenderedObjects is the round trip: the
// inputs every typed resource registers equal the rendered object, so the
// JSON conversion into the SDK's types lost nothing.
func TestComponent_RegistersExactlyTheRenderedObjects(t *testing.T) {
	for _, cfg := range []Config{
		{Mode: ModePSA, KubeMinor: 34, Namespaces: testNamespaces, Network: testNetwork},
		{Mode: ModePSP, KubeMinor: 24, Namespaces: testNamespaces, Network: testNetwork},
	} {
		m, err := Render(cfg)
		if err != nil {
			t.Fatal(err)
		}
		p := runLayer(t, cfg)
		comp := p.Named("k3s-onprem:podsecurity:PodSecurity", "podsecurity")
		if comp == nil {
			t.Fatal("no component")
		}
		var provURN, standIn string
		for _, r := range p.OfType("pulumi:providers:kubernetes") {
			if r.Name == "k3s" {
				provURN = r.URN
			} else {
				standIn = r.URN
			}
		}
		objs := m.Objects()
		registered := 0
		for _, r := range p.Resources {
			if !strings.HasPrefix(r.Type, "kubernetes:") {
				continue
			}
			registered++
			if r.Parent != comp.URN || !strings.HasPrefix(r.Provider, provURN+"::") || r.DeletedWith != standIn {
				t.Errorf("%s: parent %s, provider %s, deletedWith %s", r.Name, r.Parent, r.Provider, r.DeletedWith)
			}
		}
		if registered != len(objs) {
			t.Errorf("%s: %d resources for %d objects", cfg.Mode, registered, len(objs))
		}
		for _, o := range objs {
			want, err := ToMap(o)
			if err != nil {
				t.Fatal(err)
			}
			md := want["metadata"].(map[string]any)
			name := ResourceName(want["kind"].(string), metaOf(md))
			typ := "kubernetes:" + want["apiVersion"].(string) + ":" + want["kind"].(string)
			if want["apiVersion"] == "v1" {
				typ = "kubernetes:core/v1:" + want["kind"].(string)
			}
			if want["kind"] == "ServiceAccount" {
				typ += "Patch"
				md["annotations"] = map[string]any{"pulumi.com/patchForce": "true"}
			}
			r := p.Named(typ, name)
			if r == nil {
				t.Errorf("%s %s not registered", typ, name)
				continue
			}
			got := normalise(t, inputs(r.Inputs))
			if !reflect.DeepEqual(got, normalise(t, want)) {
				g, _ := json.MarshalIndent(got, "", " ")
				w, _ := json.MarshalIndent(want, "", " ")
				t.Errorf("%s: registered\n%s\nwant\n%s", name, g, w)
			}
		}
	}
}

func inputs(m resource.PropertyMap) map[string]any {
	out := m.Mappable()
	delete(out, "status")
	return out
}

func metaOf(md map[string]any) (m metav1.ObjectMeta) {
	m.Name, _ = md["name"].(string)
	m.Namespace, _ = md["namespace"].(string)
	return m
}

func TestComponent_ReadyListsEveryObject(t *testing.T) {
	cfg := Config{Mode: ModePSA, KubeMinor: 34, Namespaces: testNamespaces, Network: testNetwork}
	m, err := Render(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	_, err = plan.Run("k3s-onprem", "test", nil, nil, func(ctx *pulumi.Context) error {
		prov, err := kubernetes.NewProvider(ctx, "k3s", &kubernetes.ProviderArgs{Kubeconfig: pulumi.String("mock")})
		if err != nil {
			return err
		}
		ps, err := NewPodSecurity(ctx, "podsecurity", &Args{Config: cfg, Provider: prov})
		if ps != nil {
			n = len(ps.Ready)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != len(m.Objects()) {
		t.Errorf("Ready has %d resources for %d objects", n, len(m.Objects()))
	}
}
