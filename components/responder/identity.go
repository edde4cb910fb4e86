package responder

import (
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	rbacv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/rbac/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	k8srbac "k8s.io/api/rbac/v1"
)

// identity is the responder's Kubernetes side.
type identity struct {
	// ready are the objects the host step needs before it mints a token.
	ready []pulumi.Resource
}

// ServiceAccount is the responder's ServiceAccount (and ClusterRole,
// ClusterRoleBinding) name.
const ServiceAccount = "falco-responder"

// newIdentity creates the ServiceAccount (in the podsecurity layer's
// namespace, which opts must wait for), a ClusterRole made
// from the actions' Permissions (pods can be attacked in any namespace, so
// the role is cluster-wide; the verbs are the minimum) and its binding.
// There is no token Secret: a legacy kubernetes.io/service-account-token
// never expires. Each server mints a bound token through the TokenRequest
// API (RenderToken) and refreshes it before it expires.
func newIdentity(ctx *pulumi.Context, name, namespace string, perms []k8srbac.PolicyRule, opts ...pulumi.ResourceOption) (*identity, error) {
	labels := pulumi.StringMap{"app.kubernetes.io/name": pulumi.String("falco-responder"), "app.kubernetes.io/managed-by": pulumi.String("k3s-onprem")}
	meta := &metav1.ObjectMetaArgs{Name: pulumi.String(ServiceAccount), Namespace: pulumi.String(namespace), Labels: labels}
	sa, err := corev1.NewServiceAccount(ctx, name+"-sa", &corev1.ServiceAccountArgs{
		Metadata: meta,
		// The token is used from the host, never mounted into a pod.
		AutomountServiceAccountToken: pulumi.Bool(false),
	}, opts...)
	if err != nil {
		return nil, err
	}
	role, err := rbacv1.NewClusterRole(ctx, name+"-role", &rbacv1.ClusterRoleArgs{
		Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String(ServiceAccount), Labels: labels},
		Rules:    rulesInput(perms),
	}, opts...)
	if err != nil {
		return nil, err
	}
	binding, err := rbacv1.NewClusterRoleBinding(ctx, name+"-binding", &rbacv1.ClusterRoleBindingArgs{
		Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String(ServiceAccount), Labels: labels},
		RoleRef: &rbacv1.RoleRefArgs{
			ApiGroup: pulumi.String("rbac.authorization.k8s.io"), Kind: pulumi.String("ClusterRole"), Name: pulumi.String(ServiceAccount),
		},
		Subjects: rbacv1.SubjectArray{&rbacv1.SubjectArgs{
			Kind: pulumi.String("ServiceAccount"), Name: pulumi.String(ServiceAccount), Namespace: pulumi.String(namespace),
		}},
	}, append(opts, pulumi.DependsOn([]pulumi.Resource{role, sa}))...)
	if err != nil {
		return nil, err
	}
	return &identity{ready: []pulumi.Resource{binding, sa}}, nil
}

// rulesInput turns RBAC rules into Pulumi inputs.
func rulesInput(rules []k8srbac.PolicyRule) rbacv1.PolicyRuleArray {
	out := rbacv1.PolicyRuleArray{}
	for _, r := range rules {
		out = append(out, &rbacv1.PolicyRuleArgs{
			ApiGroups: pulumi.ToStringArray(r.APIGroups),
			Resources: pulumi.ToStringArray(r.Resources),
			Verbs:     pulumi.ToStringArray(r.Verbs),
		})
	}
	return out
}
