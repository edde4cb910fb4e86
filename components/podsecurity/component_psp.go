package podsecurity

import (
	ppolicyv1beta1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/policy/v1beta1"
	prbacv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/rbac/v1"
)

// psp registers the PodSecurityPolicies, their ClusterRoles and the
// cluster-wide bindings (k3s <= 1.24 only; Render leaves them empty
// otherwise).
func (w *wiring) psp(m *Manifests) error {
	for _, p := range m.PodSecurityPolicies {
		spec, err := Convert[ppolicyv1beta1.PodSecurityPolicySpec, ppolicyv1beta1.PodSecurityPolicySpecOutput](p.Spec)
		if err != nil {
			return err
		}
		if err := w.add(ppolicyv1beta1.NewPodSecurityPolicy(w.ctx, ResourceName(p.Kind, p.ObjectMeta),
			&ppolicyv1beta1.PodSecurityPolicyArgs{Metadata: Meta(p.ObjectMeta), Spec: spec}, w.opts("")...)); err != nil {
			return err
		}
	}
	for _, r := range m.ClusterRoles {
		rules, err := Convert[[]prbacv1.PolicyRule, prbacv1.PolicyRuleArrayOutput](r.Rules)
		if err != nil {
			return err
		}
		if err := w.add(prbacv1.NewClusterRole(w.ctx, ResourceName(r.Kind, r.ObjectMeta),
			&prbacv1.ClusterRoleArgs{Metadata: Meta(r.ObjectMeta), Rules: rules}, w.opts("")...)); err != nil {
			return err
		}
	}
	for _, b := range m.ClusterRoleBindings {
		ref, subjects, err := binding(b.RoleRef, b.Subjects)
		if err != nil {
			return err
		}
		if err := w.add(prbacv1.NewClusterRoleBinding(w.ctx, ResourceName(b.Kind, b.ObjectMeta),
			&prbacv1.ClusterRoleBindingArgs{Metadata: Meta(b.ObjectMeta), RoleRef: ref, Subjects: subjects}, w.opts("")...)); err != nil {
			return err
		}
	}
	return nil
}

// roleBindings registers the namespaced PSP grants.
func (w *wiring) roleBindings(m *Manifests) error {
	for _, b := range m.RoleBindings {
		ref, subjects, err := binding(b.RoleRef, b.Subjects)
		if err != nil {
			return err
		}
		if err := w.add(prbacv1.NewRoleBinding(w.ctx, ResourceName(b.Kind, b.ObjectMeta),
			&prbacv1.RoleBindingArgs{Metadata: Meta(b.ObjectMeta), RoleRef: ref, Subjects: subjects}, w.opts(b.Namespace)...)); err != nil {
			return err
		}
	}
	return nil
}

func binding(ref any, subjects any) (prbacv1.RoleRefOutput, prbacv1.SubjectArrayOutput, error) {
	r, err := Convert[prbacv1.RoleRef, prbacv1.RoleRefOutput](ref)
	if err != nil {
		return r, prbacv1.SubjectArrayOutput{}, err
	}
	s, err := Convert[[]prbacv1.Subject, prbacv1.SubjectArrayOutput](subjects)
	return r, s, err
}
