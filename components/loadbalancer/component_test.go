package loadbalancer

import (
	"testing"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"k3s-onprem/internal/plan"
)

func TestComponent_Graph(t *testing.T) {
	p, err := plan.Run("k3s-onprem", "test", nil, nil, func(ctx *pulumi.Context) error {
		prov, err := kubernetes.NewProvider(ctx, "k3s", &kubernetes.ProviderArgs{Kubeconfig: pulumi.String("mock")})
		if err != nil {
			return err
		}
		_, err = NewLoadBalancer(ctx, "loadbalancer", &Args{Config: twoNetworks, Provider: prov, DeletedWith: prov})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	rel := p.Named("kubernetes:helm.sh/v3:Release", "loadbalancer-metallb")
	if rel == nil {
		t.Fatal("no release")
	}
	if plan.Str(rel.Inputs, "version") != ChartVersion || plan.Str(rel.Inputs, "chart") != "metallb" || plan.Str(rel.Inputs, "namespace") != Namespace {
		t.Errorf("release inputs %v", rel.Inputs)
	}
	secret := p.Named("kubernetes:core/v1:Secret", "secret-metallb-system-metallb-memberlist")
	key := p.Named("random:index/randomBytes:RandomBytes", "loadbalancer-memberlist-key")
	if secret == nil || key == nil {
		t.Fatal("no memberlist secret or key")
	}
	if sd := secret.Inputs["stringData"]; !sd.ContainsSecrets() {
		t.Error("memberlist key is not marked secret")
	}
	if !p.DependsOnTransitively(secret.URN, key.URN) || !p.DependsOnTransitively(rel.URN, secret.URN) {
		t.Error("the secret must exist before the chart (or the controller makes its own key)")
	}
	for _, typ := range []string{"kubernetes:metallb.io/v1beta1:IPAddressPool", "kubernetes:metallb.io/v1beta1:L2Advertisement"} {
		objs := p.OfType(typ)
		if len(objs) != 2 {
			t.Errorf("%d of %s, want 2", len(objs), typ)
		}
		for _, o := range objs {
			if !p.DependsOnTransitively(o.URN, rel.URN) {
				t.Errorf("%s does not wait for the chart (CRDs, webhook)", o.Name)
			}
		}
	}
	for _, r := range p.Resources {
		if r.Custom && r.Type != "random:index/randomBytes:RandomBytes" && r.Type != "pulumi:providers:kubernetes" && r.DeletedWith == "" {
			t.Errorf("%s: not DeletedWith the cluster", r.Name)
		}
	}
}
