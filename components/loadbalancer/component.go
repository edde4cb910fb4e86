package loadbalancer

import (
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	pcorev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	helmv3 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v3"
	pmetav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi-random/sdk/v4/go/random"
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
	// After are what must exist first: the namespace and its policies.
	After []pulumi.Resource
	// Charts is where the chart comes from (upstream, a mirror, an archive).
	Charts chartsource.Source
}

// Chart is the pinned MetalLB chart.
var Chart = chartsource.Pinned{Name: ChartName, Version: ChartVersion, Repo: ChartRepo}

// LoadBalancer is MetalLB with its pools.
type LoadBalancer struct {
	pulumi.ResourceState

	// Release is the chart; Ready completes when every pool is announced.
	Release *helmv3.Release
	Ready   []pulumi.Resource
}

// NewLoadBalancer registers the memberlist key, the chart and the pools.
func NewLoadBalancer(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*LoadBalancer, error) {
	if err := args.Validate(); err != nil {
		return nil, err
	}
	lb := &LoadBalancer{}
	var pools pulumi.StringArray
	for _, p := range args.Pools {
		pools = append(pools, pulumi.String(p.Name+"="+p.Range))
	}
	inputs := pulumi.Map{"chart": pulumi.String(ChartName), "version": pulumi.String(ChartVersion), "pools": pools}
	if err := ctx.RegisterComponentResourceV2("k3s-onprem:loadbalancer:LoadBalancer", name, inputs, lb, opts...); err != nil {
		return nil, err
	}
	kube := func(after ...pulumi.Resource) []pulumi.ResourceOption {
		o := []pulumi.ResourceOption{pulumi.Parent(lb), pulumi.Provider(args.Provider), pulumi.DependsOn(append(append([]pulumi.Resource{}, args.After...), after...))}
		if args.DeletedWith != nil {
			o = append(o, pulumi.DeletedWith(args.DeletedWith))
		}
		return o
	}
	// 32 random bytes, base64 as MetalLB's controller would make them; the
	// speakers hash the key, so its length is free.
	key, err := random.NewRandomBytes(ctx, name+"-memberlist-key", &random.RandomBytesArgs{Length: pulumi.Int(32)}, pulumi.Parent(lb))
	if err != nil {
		return nil, err
	}
	secretMeta := metav1.ObjectMeta{Name: MemberlistSecret, Namespace: Namespace}
	secret, err := pcorev1.NewSecret(ctx, podsecurity.ResourceName("Secret", secretMeta), &pcorev1.SecretArgs{
		Metadata:   podsecurity.Meta(secretMeta),
		Type:       pulumi.String("Opaque"),
		StringData: pulumi.StringMap{MemberlistKey: key.Base64},
	}, kube()...)
	if err != nil {
		return nil, err
	}
	release := &helmv3.ReleaseArgs{
		Name:      pulumi.String(ReleaseName),
		Namespace: pulumi.String(Namespace),
		// The pod security layer creates and labels the namespace.
		CreateNamespace: pulumi.Bool(false),
		Values:          pulumi.ToMap(Values()),
		// Wait for the controller: its webhook validates the pools below.
		SkipAwait: pulumi.Bool(false),
		Atomic:    pulumi.Bool(true),
	}
	args.Charts.ReleaseArgs(Chart, release)
	lb.Release, err = helmv3.NewRelease(ctx, name+"-"+ReleaseName, release, kube(secret)...)
	if err != nil {
		return nil, err
	}
	// MetalLB's CRDs come with the chart, so the pools wait for it.
	for _, p := range IPAddressPools(args.Config) {
		r, err := customResource(ctx, p.APIVersion, p.Kind, p.ObjectMeta, p.Spec, kube(lb.Release))
		if err != nil {
			return nil, err
		}
		lb.Ready = append(lb.Ready, r)
	}
	for _, a := range L2Advertisements(args.Config) {
		r, err := customResource(ctx, a.APIVersion, a.Kind, a.ObjectMeta, a.Spec, kube(lb.Release))
		if err != nil {
			return nil, err
		}
		lb.Ready = append(lb.Ready, r)
	}
	return lb, ctx.RegisterResourceOutputs(lb, pulumi.Map{"release": lb.Release.Status.Name()})
}

// customResource registers a MetalLB object from its upstream typed spec.
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
