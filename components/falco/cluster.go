package falco

import (
	"fmt"

	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	helmv3 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v3"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	rbacv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/rbac/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"k3s-onprem/internal/namespaces"
)

// inCluster creates Falco's read-only identity, falcosidekick with its
// fixed node-facing Service, and in daemonset mode the Falco releases. The
// namespaces and their NetworkPolicies are the podsecurity layer's
// (declared in internal/namespaces); everything here waits for them.
func (f *Falco) inCluster(ctx *pulumi.Context, name string, args *Args, sidekickIP string) error {
	opts := []pulumi.ResourceOption{pulumi.Parent(f), pulumi.Provider(args.KubeProvider)}
	if args.DeletedWith != nil {
		opts = append(opts, pulumi.DeletedWith(args.DeletedWith))
	}
	if len(args.NamespacesReady) == 0 {
		return fmt.Errorf("falco: the podsecurity layer's namespaces are needed before anything is installed into them")
	}
	identityNS := Namespace
	if args.Mode == ModeDaemonSet {
		identityNS = SensorNamespace
	}
	withDeps := append(append([]pulumi.ResourceOption{}, opts...), pulumi.DependsOn(args.NamespacesReady))
	sa, err := readerIdentity(ctx, name, identityNS, withDeps)
	if err != nil {
		return err
	}
	if err := f.sidekick(ctx, name, args, sidekickIP, withDeps); err != nil {
		return err
	}
	if args.Mode == ModeDaemonSet {
		return sensors(ctx, name, args, SidekickURL(sidekickIP), append(withDeps, pulumi.DependsOn([]pulumi.Resource{sa})))
	}
	return nil
}

// readerIdentity is the ServiceAccount, the get/list/watch ClusterRole
// built from ReaderRules, and their binding.
func readerIdentity(ctx *pulumi.Context, name, ns string, opts []pulumi.ResourceOption) (*corev1.ServiceAccount, error) {
	sa, err := corev1.NewServiceAccount(ctx, name+"-sa", &corev1.ServiceAccountArgs{
		Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String(ServiceAccountName), Namespace: pulumi.String(ns)},
		// Pods that need the token mount it explicitly (the chart does).
		AutomountServiceAccountToken: pulumi.Bool(false),
	}, opts...)
	if err != nil {
		return nil, err
	}
	rules := rbacv1.PolicyRuleArray{}
	for _, r := range ReaderRules() {
		rules = append(rules, rbacv1.PolicyRuleArgs{
			ApiGroups: pulumi.ToStringArray(r.APIGroups),
			Resources: pulumi.ToStringArray(r.Resources),
			Verbs:     pulumi.ToStringArray(r.Verbs),
		})
	}
	role, err := rbacv1.NewClusterRole(ctx, name+"-reader", &rbacv1.ClusterRoleArgs{
		Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String(ReaderRoleName)},
		Rules:    rules,
	}, opts...)
	if err != nil {
		return nil, err
	}
	_, err = rbacv1.NewClusterRoleBinding(ctx, name+"-reader-binding", &rbacv1.ClusterRoleBindingArgs{
		Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String(ReaderRoleName)},
		RoleRef: rbacv1.RoleRefArgs{
			ApiGroup: pulumi.String("rbac.authorization.k8s.io"),
			Kind:     pulumi.String("ClusterRole"),
			Name:     pulumi.String(ReaderRoleName),
		},
		Subjects: rbacv1.SubjectArray{rbacv1.SubjectArgs{
			Kind: pulumi.String("ServiceAccount"), Name: pulumi.String(ServiceAccountName), Namespace: pulumi.String(ns),
		}},
	}, append(opts, pulumi.DependsOn([]pulumi.Resource{role, sa}))...)
	return sa, err
}

// sidekick deploys falcosidekick and the Service with the fixed ClusterIP
// every Falco posts to.
func (f *Falco) sidekick(ctx *pulumi.Context, name string, args *Args, ip string, opts []pulumi.ResourceOption) error {
	in := SidekickInput{Outputs: args.Outputs}
	refs := map[string]pulumi.Input{}
	for _, o := range args.Outputs {
		u, ok := args.OutputURLs[o.Type]
		if !ok {
			return fmt.Errorf("falco output %s: no URL in falcoOutputUrls", o.Type)
		}
		refs[URLRef(o.Type).Key] = u
	}
	deps := opts
	if r := args.Responder; r != nil {
		prio := r.MinPriority
		if prio == "" {
			prio = ResponderMinPriority
		}
		in.Responder = &ResponderOutput{MinPriority: prio, HasCA: r.CAPEM != nil}
		refs[RefResponderURL] = r.URL
		refs[RefResponderHeader] = pulumi.ToSecret(pulumi.Sprintf("Authorization:Bearer %s", r.Token))
		if r.CAPEM != nil {
			ca, err := corev1.NewConfigMap(ctx, name+"-responder-ca", &corev1.ConfigMapArgs{
				Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String(ResponderCAConfigMap), Namespace: pulumi.String(Namespace)},
				Data:     pulumi.StringMap{"ca.crt": r.CAPEM},
			}, opts...)
			if err != nil {
				return err
			}
			deps = append(append([]pulumi.ResourceOption{}, opts...), pulumi.DependsOn([]pulumi.Resource{ca}))
		}
	}
	values, err := SidekickValues(in)
	if err != nil {
		return err
	}
	vin, err := toInput(values, refs)
	if err != nil {
		return err
	}
	release := &helmv3.ReleaseArgs{
		Name:      pulumi.String(SidekickReleaseName),
		Namespace: pulumi.String(Namespace),
		Values:    vin.(pulumi.Map),
		Atomic:    pulumi.Bool(true),
	}
	args.Charts.ReleaseArgs(SidekickChart, release)
	if _, err := helmv3.NewRelease(ctx, name+"-sidekick", release, deps...); err != nil {
		return err
	}
	_, err = fixedService(ctx, name+"-sidekick-nodes", "falcosidekick-nodes", Namespace, ip, SidekickPort,
		namespaces.SidekickPods(), opts)
	return err
}

// fixedService is a ClusterIP Service at a fixed address (see
// SidekickClusterIP for why a fixed ClusterIP).
func fixedService(ctx *pulumi.Context, resName, svcName, ns, ip string, port int, selector map[string]string, opts []pulumi.ResourceOption) (*corev1.Service, error) {
	return corev1.NewService(ctx, resName, &corev1.ServiceArgs{
		Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String(svcName), Namespace: pulumi.String(ns)},
		Spec: &corev1.ServiceSpecArgs{
			Type:      pulumi.String("ClusterIP"),
			ClusterIP: pulumi.String(ip),
			Selector:  pulumi.ToStringMap(selector),
			Ports: corev1.ServicePortArray{corev1.ServicePortArgs{
				Name: pulumi.String("http"), Port: pulumi.Int(port), TargetPort: pulumi.Int(port), Protocol: pulumi.String("TCP"),
			}},
		},
	}, opts...)
}

// sensors deploys daemonset mode: the syscall DaemonSet and the k8saudit
// listener behind its fixed ClusterIP.
func sensors(ctx *pulumi.Context, name string, args *Args, sidekickURL string, opts []pulumi.ResourceOption) error {
	chart, err := Chart(args.Version)
	if err != nil {
		return err
	}
	in := DaemonSetInput{Version: args.Version, SidekickURL: sidekickURL}
	ds, err := DaemonSetValues(in)
	if err != nil {
		return err
	}
	for _, r := range []struct {
		res, release string
		values       map[string]any
	}{
		{name + "-daemonset", DaemonSetReleaseName, ds},
		{name + "-k8saudit", AuditReleaseName, AuditValues(in)},
	} {
		v, err := toInput(r.values, nil)
		if err != nil {
			return err
		}
		release := &helmv3.ReleaseArgs{
			Name:      pulumi.String(r.release),
			Namespace: pulumi.String(SensorNamespace),
			Values:    v.(pulumi.Map),
		}
		args.Charts.ReleaseArgs(chart, release)
		if _, err := helmv3.NewRelease(ctx, r.res, release, opts...); err != nil {
			return err
		}
	}
	ip, err := AuditClusterIP(args.ServiceCIDR)
	if err != nil {
		return err
	}
	_, err = fixedService(ctx, name+"-k8saudit-svc", "falco-k8saudit", SensorNamespace, ip, AuditPort,
		namespaces.FalcoAuditPods(), opts)
	return err
}
