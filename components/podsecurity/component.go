package podsecurity

import (
	padmissionv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/admissionregistration/v1"
	pcorev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	pmetav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	pnetworkingv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/networking/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Args configures the layer.
type Args struct {
	Config
	// Provider is the cluster's kubernetes provider; every object uses it.
	Provider pulumi.ProviderResource
	// DeletedWith is the resource whose deletion takes the cluster down
	// (the first server's k3s install): destroying the stack then skips
	// deleting objects from a cluster that no longer answers.
	DeletedWith pulumi.Resource
	// Adopted maps a resource name of this layer to the URN the same
	// Kubernetes object had under the component that created it before
	// (see falco.Adopted, responder.Adopted), so an update takes it over
	// instead of deleting a namespace with everything in it.
	Adopted map[string]pulumi.URN
}

// PodSecurity is the registered layer.
type PodSecurity struct {
	pulumi.ResourceState

	// Namespaces are the created namespaces, by name.
	Namespaces map[string]*pcorev1.Namespace
	// Ready lists every object of the layer. Workloads depend on these
	// (not on the component: the SDK expands a component into the
	// children registered so far, and children register concurrently),
	// so they install into namespaces whose rules are already in force.
	Ready []pulumi.Resource
}

// NewPodSecurity registers every object Render returns for args.Config.
func NewPodSecurity(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*PodSecurity, error) {
	m, err := Render(args.Config)
	if err != nil {
		return nil, err
	}
	ps := &PodSecurity{Namespaces: map[string]*pcorev1.Namespace{}}
	var names pulumi.StringArray
	for _, ns := range args.Namespaces {
		names = append(names, pulumi.String(ns.Name))
	}
	inputs := pulumi.Map{
		"mode":       pulumi.String(args.Mode),
		"kubeMinor":  pulumi.Int(args.KubeMinor),
		"namespaces": names,
	}
	if err := ctx.RegisterComponentResourceV2("k3s-onprem:podsecurity:PodSecurity", name, inputs, ps, opts...); err != nil {
		return nil, err
	}
	w := &wiring{ctx: ctx, args: args, parent: ps, namespaces: ps.Namespaces}
	if err := w.cluster(m); err != nil {
		return nil, err
	}
	if err := w.namespaced(m); err != nil {
		return nil, err
	}
	ps.Ready = w.ready
	return ps, ctx.RegisterResourceOutputs(ps, pulumi.Map{"namespaces": names})
}

type wiring struct {
	ctx        *pulumi.Context
	args       *Args
	parent     pulumi.Resource
	namespaces map[string]*pcorev1.Namespace
	ready      []pulumi.Resource
}

// add records a registered object for PodSecurity.Ready.
func (w *wiring) add(r pulumi.Resource, err error) error {
	if err == nil {
		w.ready = append(w.ready, r)
	}
	return err
}

// opts are the options of every object; namespaced objects also wait for
// their namespace when this layer creates it.
func (w *wiring) opts(ns string) []pulumi.ResourceOption {
	return w.optsFor("", ns)
}

// optsFor is opts for the resource named resName, adopting its previous
// URN when it has one.
func (w *wiring) optsFor(resName, ns string) []pulumi.ResourceOption {
	o := []pulumi.ResourceOption{pulumi.Parent(w.parent), pulumi.Provider(w.args.Provider)}
	if urn, ok := w.args.Adopted[resName]; ok && resName != "" {
		o = append(o, pulumi.Aliases([]pulumi.Alias{{URN: urn}}))
	}
	if w.args.DeletedWith != nil {
		o = append(o, pulumi.DeletedWith(w.args.DeletedWith))
	}
	if n, ok := w.namespaces[ns]; ok {
		o = append(o, pulumi.DependsOn([]pulumi.Resource{n}))
	}
	return o
}

// cluster registers the cluster-scoped objects and the namespaces.
func (w *wiring) cluster(m *Manifests) error {
	if err := w.psp(m); err != nil {
		return err
	}
	for i, p := range m.AdmissionPolicies {
		spec, err := Convert[padmissionv1.ValidatingAdmissionPolicySpec, padmissionv1.ValidatingAdmissionPolicySpecOutput](p.Spec)
		if err != nil {
			return err
		}
		pol, err := padmissionv1.NewValidatingAdmissionPolicy(w.ctx, ResourceName(p.Kind, p.ObjectMeta),
			&padmissionv1.ValidatingAdmissionPolicyArgs{Metadata: Meta(p.ObjectMeta), Spec: spec}, w.opts("")...)
		if err := w.add(pol, err); err != nil {
			return err
		}
		b := m.AdmissionBindings[i]
		bspec, err := Convert[padmissionv1.ValidatingAdmissionPolicyBindingSpec, padmissionv1.ValidatingAdmissionPolicyBindingSpecOutput](b.Spec)
		if err != nil {
			return err
		}
		// The binding names the policy; without it the binding is inert.
		if err := w.add(padmissionv1.NewValidatingAdmissionPolicyBinding(w.ctx, ResourceName(b.Kind, b.ObjectMeta),
			&padmissionv1.ValidatingAdmissionPolicyBindingArgs{Metadata: Meta(b.ObjectMeta), Spec: bspec},
			append(w.opts(""), pulumi.DependsOn([]pulumi.Resource{pol}))...)); err != nil {
			return err
		}
	}
	for _, n := range m.Namespaces {
		resName := ResourceName(n.Kind, n.ObjectMeta)
		res, err := pcorev1.NewNamespace(w.ctx, resName, &pcorev1.NamespaceArgs{Metadata: Meta(n.ObjectMeta)}, w.optsFor(resName, "")...)
		if err := w.add(res, err); err != nil {
			return err
		}
		w.namespaces[n.Name] = res
	}
	return nil
}

// namespaced registers the default service-account patches, the
// NetworkPolicies and the PSP RoleBindings.
func (w *wiring) namespaced(m *Manifests) error {
	for _, sa := range m.ServiceAccounts {
		md := Meta(sa.ObjectMeta)
		// The default account already exists (or is about to: the
		// service-account controller races us in a new namespace);
		// patchForce takes the field over from whoever set it.
		md.Annotations = pulumi.StringMap{"pulumi.com/patchForce": pulumi.String("true")}
		if err := w.add(pcorev1.NewServiceAccountPatch(w.ctx, ResourceName(sa.Kind, sa.ObjectMeta), &pcorev1.ServiceAccountPatchArgs{
			Metadata:                     metaPatch(md),
			AutomountServiceAccountToken: pulumi.BoolPtrFromPtr(sa.AutomountServiceAccountToken),
		}, w.opts(sa.Namespace)...)); err != nil {
			return err
		}
	}
	for _, p := range m.NetworkPolicies {
		spec, err := Convert[pnetworkingv1.NetworkPolicySpec, pnetworkingv1.NetworkPolicySpecOutput](p.Spec)
		if err != nil {
			return err
		}
		resName := ResourceName(p.Kind, p.ObjectMeta)
		if err := w.add(pnetworkingv1.NewNetworkPolicy(w.ctx, resName,
			&pnetworkingv1.NetworkPolicyArgs{Metadata: Meta(p.ObjectMeta), Spec: spec}, w.optsFor(resName, p.Namespace)...)); err != nil {
			return err
		}
	}
	return w.roleBindings(m)
}

func metaPatch(a pmetav1.ObjectMetaArgs) pmetav1.ObjectMetaPatchArgs {
	return pmetav1.ObjectMetaPatchArgs{Name: a.Name, Namespace: a.Namespace, Labels: a.Labels, Annotations: a.Annotations}
}
