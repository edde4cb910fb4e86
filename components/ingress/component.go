package ingress

import (
	helmv3 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"k3s-onprem/internal/chartsource"
)

// Args configures the component.
type Args struct {
	Config
	// Provider is the cluster's kubernetes provider.
	Provider pulumi.ProviderResource
	// DeletedWith is the resource the cluster dies with (see podsecurity.Args).
	DeletedWith pulumi.Resource
	// After are what must exist first: the namespaces with their policies,
	// and the MetalLB pools the Services take their addresses from.
	After []pulumi.Resource
	// Charts is where the chart comes from (upstream, a mirror, an archive).
	Charts chartsource.Source
}

// Ingress is the set of controllers.
type Ingress struct {
	pulumi.ResourceState

	// Releases by controller name (external, internal).
	Releases map[string]*helmv3.Release
}

// NewIngress registers one Helm release per controller.
func NewIngress(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*Ingress, error) {
	rels, err := Releases(args.Config)
	if err != nil {
		return nil, err
	}
	in := &Ingress{Releases: map[string]*helmv3.Release{}}
	controllers := pulumi.Array{}
	for _, r := range rels {
		controllers = append(controllers, pulumi.Map{
			"name": pulumi.String(r.Controller.Name), "class": pulumi.String(r.Controller.ClassName),
			"pool": pulumi.String(r.Controller.Pool), "chart": pulumi.String(r.Chart.Name + "@" + r.Chart.Version),
		})
	}
	if err := ctx.RegisterComponentResourceV2("k3s-onprem:ingress:Ingress", name, pulumi.Map{"controllers": controllers}, in, opts...); err != nil {
		return nil, err
	}
	for _, r := range rels {
		o := []pulumi.ResourceOption{pulumi.Parent(in), pulumi.Provider(args.Provider), pulumi.DependsOn(args.After)}
		if args.DeletedWith != nil {
			o = append(o, pulumi.DeletedWith(args.DeletedWith))
		}
		release := &helmv3.ReleaseArgs{
			Name:      pulumi.String(r.Name),
			Namespace: pulumi.String(r.Namespace),
			// The pod security layer creates and labels the namespace.
			CreateNamespace: pulumi.Bool(false),
			Values:          pulumi.ToMap(r.Values),
			// Ready means the Service has its address and the
			// admission webhook answers.
			SkipAwait: pulumi.Bool(false),
			Atomic:    pulumi.Bool(true),
		}
		args.Charts.ReleaseArgs(r.Chart.Pinned(), release)
		rel, err := helmv3.NewRelease(ctx, name+"-"+r.Name, release, o...)
		if err != nil {
			return nil, err
		}
		in.Releases[r.Controller.Name] = rel
	}
	return in, ctx.RegisterResourceOutputs(in, pulumi.Map{"controllers": controllers})
}
