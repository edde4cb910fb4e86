package ingress

import (
	"testing"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"k3s-onprem/internal/chartsource"
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

// Both controllers install the same chart; a mirror or an archive replaces
// where it comes from, not what it installs.
func TestComponent_ChartSource(t *testing.T) {
	for _, c := range []struct {
		src                  chartsource.Source
		chart, version, repo string
	}{
		{chartsource.Source{}, "ingress-nginx", "4.15.1", "https://kubernetes.github.io/ingress-nginx"},
		{chartsource.Source{Repository: "http://10.0.0.5:8080/charts"}, "ingress-nginx", "4.15.1", "http://10.0.0.5:8080/charts"},
		{chartsource.Source{Repository: "oci://harbor.example.internal/charts"}, "oci://harbor.example.internal/charts/ingress-nginx", "4.15.1", ""},
		{chartsource.Source{Archives: map[string]string{"ingress-nginx": "/srv/ingress-nginx-4.15.1.tgz"}}, "/srv/ingress-nginx-4.15.1.tgz", "", ""},
	} {
		p, err := plan.Run("k3s-onprem", "test", nil, nil, func(ctx *pulumi.Context) error {
			prov, err := kubernetes.NewProvider(ctx, "k3s", &kubernetes.ProviderArgs{Kubeconfig: pulumi.String("mock")})
			if err != nil {
				return err
			}
			_, err = NewIngress(ctx, "ingress", &Args{Config: prod, Provider: prov, Charts: c.src})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		rels := p.OfType("kubernetes:helm.sh/v3:Release")
		if len(rels) != 2 {
			t.Fatalf("%d releases", len(rels))
		}
		for _, r := range rels {
			repo := ""
			if o := plan.Unwrap(r.Inputs["repositoryOpts"]); o.IsObject() {
				repo = plan.Str(o.ObjectValue(), "repo")
			}
			if got, want := [3]string{plan.Str(r.Inputs, "chart"), plan.Str(r.Inputs, "version"), repo}, [3]string{c.chart, c.version, c.repo}; got != want {
				t.Errorf("%+v %s: %q, want %q", c.src, r.Name, got, want)
			}
		}
	}
}
