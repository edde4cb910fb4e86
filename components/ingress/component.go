package ingress

import (
	"fmt"
	"os"
	"strings"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	helmv3 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v3"
	pmetav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	yamlv2 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/yaml/v2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"k3s-onprem/components/podsecurity"
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
	// Gateways by controller name, for Gateway API implementations.
	Gateways map[string]*apiextensions.CustomResource
}

// NewIngress registers one Helm release per controller.
func NewIngress(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*Ingress, error) {
	rels, err := Releases(args.Config)
	if err != nil {
		return nil, err
	}
	gws, err := Gateways(args.Config)
	if err != nil {
		return nil, err
	}
	var crds string
	if len(gws) > 0 {
		if crds, err = gatewayAPIManifests(); err != nil {
			return nil, err
		}
	}
	in := &Ingress{Releases: map[string]*helmv3.Release{}, Gateways: map[string]*apiextensions.CustomResource{}}
	controllers := pulumi.Array{}
	for _, r := range rels {
		kind := r.Controller.Kind
		if kind == "" {
			kind = KindIngressNginx
		}
		controllers = append(controllers, pulumi.Map{
			"name": pulumi.String(r.Controller.Name), "class": pulumi.String(r.Controller.ClassName), "kind": pulumi.String(kind),
			"pool": pulumi.String(r.Controller.Pool), "chart": pulumi.String(r.Chart.Name + "@" + r.Chart.Version),
		})
	}
	if err := ctx.RegisterComponentResourceV2("k3s-onprem:ingress:Ingress", name, pulumi.Map{"controllers": controllers}, in, opts...); err != nil {
		return nil, err
	}
	kube := func(after ...pulumi.Resource) []pulumi.ResourceOption {
		o := []pulumi.ResourceOption{pulumi.Parent(in), pulumi.Provider(args.Provider), pulumi.DependsOn(append(append([]pulumi.Resource{}, args.After...), after...))}
		if args.DeletedWith != nil {
			o = append(o, pulumi.DeletedWith(args.DeletedWith))
		}
		return o
	}
	// The Gateway API CRDs come first: Traefik's Gateway provider watches
	// them from its start, and the classes and Gateways need them.
	var crdGroup []pulumi.Resource
	if crds != "" {
		g, err := yamlv2.NewConfigGroup(ctx, name+"-gateway-api-crds", &yamlv2.ConfigGroupArgs{Yaml: pulumi.String(crds)}, kube()...)
		if err != nil {
			return nil, err
		}
		crdGroup = append(crdGroup, g)
	}
	for _, r := range rels {
		o := kube(crdGroup...)
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
		if r.SkipCRDs {
			release.SkipCrds = pulumi.Bool(true)
		}
		args.Charts.ReleaseArgs(r.Chart.Pinned(), release)
		rel, err := helmv3.NewRelease(ctx, name+"-"+r.Name, release, o...)
		if err != nil {
			return nil, err
		}
		in.Releases[r.Controller.Name] = rel
	}
	for _, g := range gws {
		after := append([]pulumi.Resource{in.Releases[g.Controller.Name]}, crdGroup...)
		if _, err := customResource(ctx, g.Class.APIVersion, g.Class.Kind, g.Class.ObjectMeta, g.Class.Spec, kube(after...)); err != nil {
			return nil, err
		}
		gw, err := customResource(ctx, g.Gateway.APIVersion, g.Gateway.Kind, g.Gateway.ObjectMeta, g.Gateway.Spec, kube(after...))
		if err != nil {
			return nil, err
		}
		in.Gateways[g.Controller.Name] = gw
	}
	return in, ctx.RegisterResourceOutputs(in, pulumi.Map{"controllers": controllers})
}

// gatewayAPIManifests is the standard channel install as one YAML stream.
func gatewayAPIManifests() (string, error) {
	files, err := GatewayAPIFiles()
	if err != nil {
		return "", fmt.Errorf("ingress: Gateway API CRDs: %w", err)
	}
	var b strings.Builder
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return "", err
		}
		b.WriteString("---\n")
		b.Write(data)
		b.WriteString("\n")
	}
	return b.String(), nil
}

// customResource registers a Gateway API object from its upstream typed
// spec.
func customResource(ctx *pulumi.Context, apiVersion, kind string, md metav1.ObjectMeta, spec any, opts []pulumi.ResourceOption) (*apiextensions.CustomResource, error) {
	m, err := podsecurity.ToMap(map[string]any{"spec": spec})
	if err != nil {
		return nil, err
	}
	meta := podsecurity.Meta(md)
	return apiextensions.NewCustomResource(ctx, podsecurity.ResourceName(kind, md), &apiextensions.CustomResourceArgs{
		ApiVersion:  pulumi.String(apiVersion),
		Kind:        pulumi.String(kind),
		Metadata:    pmetav1.ObjectMetaPtrInput(&meta),
		OtherFields: kubernetes.UntypedArgs{"spec": m["spec"]},
	}, opts...)
}
