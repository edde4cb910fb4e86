package loadbalancer

import (
	"testing"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"k3s-onprem/internal/chartsource"
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

// repoOf is the release's repositoryOpts.repo ("" when unset).
func repoOf(r *plan.Resource) string {
	if o := plan.Unwrap(r.Inputs["repositoryOpts"]); o.IsObject() {
		return plan.Str(o.ObjectValue(), "repo")
	}
	return ""
}

// Without the internet the chart comes from the site's mirror or a local
// archive; upstream is the default.
func TestComponent_ChartSource(t *testing.T) {
	for _, c := range []struct {
		name                 string
		src                  chartsource.Source
		chart, version, repo string
	}{
		{"upstream", chartsource.Source{}, "metallb", ChartVersion, ChartRepo},
		{"http mirror", chartsource.Source{Repository: "https://charts.example.internal"}, "metallb", ChartVersion, "https://charts.example.internal"},
		{"oci mirror", chartsource.Source{Repository: "oci://harbor.example.internal/charts"}, "oci://harbor.example.internal/charts/metallb", ChartVersion, ""},
		{"archive", chartsource.Source{Repository: "oci://x.example/c", Archives: map[string]string{"metallb": "/srv/charts/metallb-0.16.0.tgz"}}, "/srv/charts/metallb-0.16.0.tgz", "", ""},
	} {
		p, err := plan.Run("k3s-onprem", "test", nil, nil, func(ctx *pulumi.Context) error {
			prov, err := kubernetes.NewProvider(ctx, "k3s", &kubernetes.ProviderArgs{Kubeconfig: pulumi.String("mock")})
			if err != nil {
				return err
			}
			_, err = NewLoadBalancer(ctx, "loadbalancer", &Args{Config: twoNetworks, Provider: prov, Charts: c.src})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		rel := p.Named("kubernetes:helm.sh/v3:Release", "loadbalancer-metallb")
		if got := [3]string{plan.Str(rel.Inputs, "chart"), plan.Str(rel.Inputs, "version"), repoOf(rel)}; got != [3]string{c.chart, c.version, c.repo} {
			t.Errorf("%s: chart, version, repo = %q, want %q", c.name, got, [3]string{c.chart, c.version, c.repo})
		}
	}
}
