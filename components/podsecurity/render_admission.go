package podsecurity

import (
	admissionv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// AutomountPolicyName names the ValidatingAdmissionPolicy and its binding.
const AutomountPolicyName = "default-service-account-no-token"

// AutomountPolicyMinMinor is the first Kubernetes minor with
// admissionregistration.k8s.io/v1 ValidatingAdmissionPolicy (GA in 1.30).
// Older clusters get only the ServiceAccount patches.
const AutomountPolicyMinMinor = 30

// automountExpression admits a pod that either runs as a service account
// other than "default" or says automountServiceAccountToken: false itself.
// The ServiceAccount admission plugin (mutating, so it runs first) fills in
// "default" when a pod names none; an absent name is treated the same for
// API servers that run without that plugin.
const automountExpression = `(has(object.spec.serviceAccountName) && object.spec.serviceAccountName != 'default') || ` +
	`(has(object.spec.automountServiceAccountToken) && object.spec.automountServiceAccountToken == false)`

// DefaultServiceAccount is the patch that stops the default service account
// of ns from handing its token to pods (CIS 5.1.5/5.1.6).
func DefaultServiceAccount(ns string) corev1.ServiceAccount {
	return corev1.ServiceAccount{
		TypeMeta:                     metav1.TypeMeta{APIVersion: "v1", Kind: "ServiceAccount"},
		ObjectMeta:                   metav1.ObjectMeta{Name: "default", Namespace: ns},
		AutomountServiceAccountToken: ptr.To(false),
	}
}

// AutomountPolicy keeps CIS 5.1.5/5.1.6 true for namespaces created after
// the stack ran, whose default service account nobody patched: it rejects
// pods that use the default service account without automountServiceAccountToken
// explicitly false, outside AutomountAllowNamespaces.
func AutomountPolicy() (admissionv1.ValidatingAdmissionPolicy, admissionv1.ValidatingAdmissionPolicyBinding) {
	var allow []string
	for _, e := range AutomountAllowNamespaces {
		allow = append(allow, e.Namespace)
	}
	nsSelector := &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{
		Key: "kubernetes.io/metadata.name", Operator: metav1.LabelSelectorOpNotIn, Values: allow,
	}}}
	pol := admissionv1.ValidatingAdmissionPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: "admissionregistration.k8s.io/v1", Kind: "ValidatingAdmissionPolicy"},
		ObjectMeta: metav1.ObjectMeta{Name: AutomountPolicyName},
		Spec: admissionv1.ValidatingAdmissionPolicySpec{
			// Fail closed: a broken expression must not let tokens through.
			FailurePolicy: ptr.To(admissionv1.Fail),
			MatchConstraints: &admissionv1.MatchResources{
				NamespaceSelector: nsSelector,
				ResourceRules: []admissionv1.NamedRuleWithOperations{{
					RuleWithOperations: admissionv1.RuleWithOperations{
						// The service account and automount fields of a pod
						// are immutable, so CREATE is the only way in.
						Operations: []admissionv1.OperationType{admissionv1.Create},
						Rule: admissionv1.Rule{
							APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"pods"},
						},
					},
				}},
			},
			Validations: []admissionv1.Validation{{
				Expression: automountExpression,
				Message:    "pods that use the default service account must set automountServiceAccountToken: false (CIS 5.1.5/5.1.6); give the pod its own service account if it needs the API",
				Reason:     ptr.To(metav1.StatusReasonForbidden),
			}},
		},
	}
	bind := admissionv1.ValidatingAdmissionPolicyBinding{
		TypeMeta:   metav1.TypeMeta{APIVersion: "admissionregistration.k8s.io/v1", Kind: "ValidatingAdmissionPolicyBinding"},
		ObjectMeta: metav1.ObjectMeta{Name: AutomountPolicyName},
		Spec: admissionv1.ValidatingAdmissionPolicyBindingSpec{
			PolicyName:        AutomountPolicyName,
			ValidationActions: []admissionv1.ValidationAction{admissionv1.Deny},
		},
	}
	return pol, bind
}
