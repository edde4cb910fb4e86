package realapi_test

import (
	"context"
	"sort"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"k3s-onprem/internal/plan"
	"k3s-onprem/stacks"
	"k3s-onprem/tests/realapi/apiserver"
)

// TestPlannedClusterObjectsPassServerSideDryRun sends every Kubernetes
// object the prod stack registers (as its mocked run records them, inputs
// byte for byte) to a real kube-apiserver, started with what components/k3s
// renders for prod, as a server-side apply with dryRun=All. The first real
// preview cannot do this: the kubeconfig is unknown until k3s runs, so the
// kubernetes provider never sees the objects. Objects inside Helm releases
// are out of scope (the charts are not available here); the MetalLB CRDs
// the pools need come from the go.universe.tf/metallb Go module in go.mod,
// v0.15.2, while the chart is pinned to 0.16.0: the module proxy serves no
// v0.16.0. tests/conformance TestMetalLBObjectsUseFieldsOfThePinnedCRDs
// checks every field the pools and advertisements set against both
// versions' CRD facts, so this verdict carries over to 0.16.0.
// Namespaces and CRDs are then applied for real so that what lives in them
// can be checked.
func TestPlannedClusterObjectsPassServerSideDryRun(t *testing.T) {
	p, err := stacks.PlanStack("../..", "prod", nil)
	if err != nil {
		t.Fatal(err)
	}
	objs := plannedKubeObjects(t, p)
	if len(objs) < 40 {
		t.Fatalf("only %d Kubernetes objects in the prod plan", len(objs))
	}

	srv := apiserver.Start(t, renderedProdOptions(t))
	a := newApplier(t, srv.RESTConfig())
	crds := metallbCRDs(t)
	for _, c := range crds {
		a.mustApply(t, c)
	}
	waitEstablished(t, a, crds)

	// Namespaces first (dry run, then for real), then everything else.
	sort.SliceStable(objs, func(i, j int) bool { return objs[i].isNamespace() && !objs[j].isNamespace() })
	kinds := map[string]int{}
	for _, o := range objs {
		if err := a.dryRunApply(testCtx(t), o.object); err != nil {
			t.Errorf("%s (%s): server-side dry run rejected it: %v", o.name, o.typ, err)
			continue
		}
		kinds[o.typ]++
		if o.isNamespace() {
			a.mustApply(t, o.object)
		}
	}
	t.Logf("%d objects accepted by dry run: %v", len(objs), kinds)

	// The check must be able to fail: a pool the MetalLB schema refuses.
	bad := map[string]any{
		"apiVersion": "metallb.io/v1beta1", "kind": "IPAddressPool",
		"metadata": map[string]any{"name": "bad", "namespace": "metallb-system"},
		"spec":     map[string]any{"addresses": "192.168.1.200-192.168.1.240"},
	}
	if err := a.dryRunApply(testCtx(t), bad); err == nil {
		t.Error("a pool with addresses as a string passed the dry run")
	}
}

// plannedObject is one Kubernetes resource of the plan as a manifest.
type plannedObject struct {
	name, typ string
	object    map[string]any
}

func (o plannedObject) isNamespace() bool { return o.typ == "kubernetes:core/v1:Namespace" }

// plannedKubeObjects turns the plan's kubernetes resources into manifests.
// Left out: the provider, Helm releases (their objects come from charts)
// and components (not API objects).
func plannedKubeObjects(t *testing.T, p *plan.Plan) []plannedObject {
	t.Helper()
	var out []plannedObject
	for _, r := range p.Resources {
		if !r.Custom || !strings.HasPrefix(r.Type, "kubernetes:") || strings.HasPrefix(r.Type, "kubernetes:helm.sh/") || strings.HasPrefix(r.Type, "pulumi:providers:") {
			continue
		}
		obj, ok := plan.Plain(resource.NewObjectProperty(r.Inputs)).(map[string]any)
		if !ok {
			t.Fatalf("%s: inputs are not an object", r.Name)
		}
		// Patch resources (e.g. ServiceAccountPatch of a default account)
		// are server-side applies of the named kind.
		if k, ok := obj["kind"].(string); ok {
			obj["kind"] = strings.TrimSuffix(k, "Patch")
		}
		if md, _ := obj["metadata"].(map[string]any); md == nil || md["name"] == nil {
			t.Errorf("%s (%s): no metadata.name; the provider would auto-name it", r.Name, r.Type)
			continue
		}
		out = append(out, plannedObject{name: r.Name, typ: r.Type, object: obj})
	}
	return out
}

// dryRunApply server-side applies an object with dryRun=All: the API
// server runs defaulting, validation (built-in and CRD schemas) and
// admission, and persists nothing.
func (a *applier) dryRunApply(ctx context.Context, obj map[string]any) error {
	return a.send(ctx, obj, []string{metav1.DryRunAll})
}
