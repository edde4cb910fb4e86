package ingress

import (
	"testing"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"k3s-onprem/internal/plan"
)

func TestComponent_OneReleasePerController(t *testing.T) {
	p, err := plan.Run("k3s-onprem", "test", nil, nil, func(ctx *pulumi.Context) error {
		prov, err := kubernetes.NewProvider(ctx, "k3s", &kubernetes.ProviderArgs{Kubeconfig: pulumi.String("mock")})
		if err != nil {
			return err
		}
		_, err = NewIngress(ctx, "ingress", &Args{Config: prod, Provider: prov, DeletedWith: prov})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	rels := p.OfType("kubernetes:helm.sh/v3:Release")
	if len(rels) != 2 {
		t.Fatalf("%d releases", len(rels))
	}
	comp := p.Named("k3s-onprem:ingress:Ingress", "ingress")
	for _, r := range rels {
		if r.Parent != comp.URN || r.DeletedWith == "" || r.Provider == "" {
			t.Errorf("%s: parent %s deletedWith %q provider %q", r.Name, r.Parent, r.DeletedWith, r.Provider)
		}
		if plan.Str(r.Inputs, "version") != "4.15.1" || plan.Str(r.Inputs, "namespace") != plan.Str(r.Inputs, "name") {
			t.Errorf("%s: %v", r.Name, r.Inputs)
		}
	}
}
