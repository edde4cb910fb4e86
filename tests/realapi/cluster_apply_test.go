package realapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"sigs.k8s.io/yaml"

	"k3s-onprem/components/loadbalancer"
	"k3s-onprem/components/podsecurity"
)

// applier server-side applies rendered objects, as the Pulumi provider does
// (it uses server-side apply by default), so create-or-update and patches
// of existing objects (default service accounts) behave the same.
type applier struct {
	dyn    dynamic.Interface
	mapper *restmapper.DeferredDiscoveryRESTMapper
}

func newApplier(t *testing.T, cfg *rest.Config) *applier {
	t.Helper()
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &applier{dyn: dynamic.NewForConfigOrDie(cfg), mapper: restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(dc))}
}

// apply applies one object (a typed API struct or a map) and returns the
// API error, so tests can assert rejections too.
func (a *applier) apply(ctx context.Context, obj any) error {
	return a.send(ctx, obj, nil)
}

// send server-side applies obj; dryRun ([metav1.DryRunAll]) persists nothing.
func (a *applier) send(ctx context.Context, obj any, dryRun []string) error {
	m, err := podsecurity.ToMap(obj)
	if err != nil {
		return err
	}
	u := &unstructured.Unstructured{Object: m}
	gvk := u.GroupVersionKind()
	mapping, err := a.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		// A kind from a CRD applied a moment ago: refresh discovery once.
		a.mapper.Reset()
		if mapping, err = a.mapper.RESTMapping(gvk.GroupKind(), gvk.Version); err != nil {
			return err
		}
	}
	body, err := json.Marshal(m)
	if err != nil {
		return err
	}
	var ri dynamic.ResourceInterface = a.dyn.Resource(mapping.Resource)
	if ns := u.GetNamespace(); ns != "" {
		ri = a.dyn.Resource(mapping.Resource).Namespace(ns)
	}
	_, err = ri.Patch(ctx, u.GetName(), types.ApplyPatchType, body, metav1.PatchOptions{FieldManager: "k3s-onprem-realapi", Force: ptrTrue(), DryRun: dryRun})
	return err
}

func (a *applier) mustApply(t *testing.T, objs ...any) {
	t.Helper()
	for _, o := range objs {
		if err := a.apply(testCtx(t), o); err != nil {
			t.Fatalf("apply %T: %v", o, err)
		}
	}
}

func ptrTrue() *bool { b := true; return &b }

// metallbCRDs reads the CRDs of the go.universe.tf/metallb module this
// repository requires from the module cache; `go test` has downloaded it
// to build components/loadbalancer. That is v0.15.2 while the chart is
// pinned to 0.16.0 (the module proxy serves no v0.16.0); see the dry-run
// test's comment for why the check still holds for 0.16.0.
func metallbCRDs(t *testing.T) []map[string]any {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Version}} {{.Dir}}", "go.universe.tf/metallb").Output()
	if err != nil {
		t.Fatalf("go list -m go.universe.tf/metallb: %v", err)
	}
	version, modDir, _ := strings.Cut(strings.TrimSpace(string(out)), " ")
	t.Logf("MetalLB CRDs from go.universe.tf/metallb %s (chart pinned: %s)", version, loadbalancer.ChartVersion)
	dir := filepath.Join(modDir, "config", "crd", "bases")
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no MetalLB CRDs in %s (%v)", dir, err)
	}
	var crds []map[string]any
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
				crds = append(crds, m)
			}
		}
	}
	return crds
}

// waitEstablished waits until every CRD serves its kind.
func waitEstablished(t *testing.T, a *applier, crds []map[string]any) {
	t.Helper()
	gvr := (&unstructured.Unstructured{Object: map[string]any{"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition"}}).GroupVersionKind()
	mapping, err := a.mapper.RESTMapping(gvr.GroupKind(), gvr.Version)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range crds {
		name := c["metadata"].(map[string]any)["name"].(string)
		err := wait.PollUntilContextTimeout(testCtx(t), 200*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
			u, err := a.dyn.Resource(mapping.Resource).Get(ctx, name, metav1.GetOptions{})
			if apierrors.IsNotFound(err) {
				return false, nil
			}
			if err != nil {
				return false, err
			}
			conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
			for _, c := range conds {
				cm, _ := c.(map[string]any)
				if cm["type"] == "Established" && cm["status"] == "True" {
					return true, nil
				}
			}
			return false, nil
		})
		if err != nil {
			t.Fatalf("CRD %s never established: %v", name, err)
		}
	}
	a.mapper.Reset()
}
