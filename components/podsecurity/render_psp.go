package podsecurity

import (
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"k3s-onprem/internal/namespaces"
)

// PodSecurityPolicy names. The first two are the blog's (Part 2), field for
// field; the third is the anchor's ingress-nginx policy, shared by any
// non-root workload that binds low ports.
const (
	PSPSystemUnrestricted = namespaces.PSPSystemUnrestricted
	PSPGlobalRestricted   = namespaces.PSPGlobalRestricted
	PSPNetBindService     = namespaces.PSPNetBindService
)

// PodSecurityPolicy is policy/v1beta1 PodSecurityPolicy. k8s.io/api dropped
// the type after Kubernetes 1.25 removed the API, so the fields we use are
// declared here with the upstream JSON names. Booleans are never omitted:
// the blog states each one, and allowPrivilegeEscalation defaults to true.
type PodSecurityPolicy struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              PSPSpec `json:"spec"`
}

// PSPSpec is the subset of PodSecurityPolicySpec the policies set.
type PSPSpec struct {
	Privileged               bool          `json:"privileged"`
	AllowPrivilegeEscalation bool          `json:"allowPrivilegeEscalation"`
	AllowedCapabilities      []string      `json:"allowedCapabilities,omitempty"`
	RequiredDropCapabilities []string      `json:"requiredDropCapabilities,omitempty"`
	Volumes                  []string      `json:"volumes"`
	ForbiddenSysctls         []string      `json:"forbiddenSysctls,omitempty"`
	HostNetwork              bool          `json:"hostNetwork"`
	HostPorts                []PSPRange    `json:"hostPorts,omitempty"`
	HostIPC                  bool          `json:"hostIPC"`
	HostPID                  bool          `json:"hostPID"`
	RunAsUser                PSPRuleRanges `json:"runAsUser"`
	SELinux                  PSPRule       `json:"seLinux"`
	SupplementalGroups       PSPRuleRanges `json:"supplementalGroups"`
	FSGroup                  PSPRuleRanges `json:"fsGroup"`
	ReadOnlyRootFilesystem   bool          `json:"readOnlyRootFilesystem"`
}

// PSPRule is a strategy rule without ranges.
type PSPRule struct {
	Rule string `json:"rule"`
}

// PSPRuleRanges is a strategy rule with optional ID ranges.
type PSPRuleRanges struct {
	Rule   string     `json:"rule"`
	Ranges []PSPRange `json:"ranges,omitempty"`
}

// PSPRange is an inclusive min-max range.
type PSPRange struct {
	Min int64 `json:"min"`
	Max int64 `json:"max"`
}

func psp(name string, annotations map[string]string, spec PSPSpec) PodSecurityPolicy {
	return PodSecurityPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: "policy/v1beta1", Kind: "PodSecurityPolicy"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Annotations: annotations},
		Spec:       spec,
	}
}

var nonRootIDs = []PSPRange{{Min: 1, Max: 65535}}

// restrictedVolumes are the blog's volume types for unprivileged pods.
var restrictedVolumes = []string{"configMap", "emptyDir", "projected", "secret", "downwardAPI", "persistentVolumeClaim"}

// PodSecurityPolicies returns the blog's two policies and the ingress one.
func PodSecurityPolicies() []PodSecurityPolicy {
	seccomp := map[string]string{
		// CIS 5.7.2: the runtime's default seccomp profile.
		"seccomp.security.alpha.kubernetes.io/allowedProfileNames": "docker/default,runtime/default",
		"seccomp.security.alpha.kubernetes.io/defaultProfileName":  "runtime/default",
	}
	return []PodSecurityPolicy{
		psp(PSPSystemUnrestricted, nil, PSPSpec{
			Privileged: true, AllowPrivilegeEscalation: true,
			AllowedCapabilities: []string{"*"}, Volumes: []string{"*"},
			HostNetwork: true, HostPorts: []PSPRange{{Min: 0, Max: 65535}}, HostIPC: true, HostPID: true,
			RunAsUser: PSPRuleRanges{Rule: "RunAsAny"}, SELinux: PSPRule{Rule: "RunAsAny"},
			SupplementalGroups: PSPRuleRanges{Rule: "RunAsAny"}, FSGroup: PSPRuleRanges{Rule: "RunAsAny"},
		}),
		psp(PSPGlobalRestricted, seccomp, PSPSpec{
			Privileged: false, AllowPrivilegeEscalation: false, // CIS 5.2.1, 5.2.5
			RequiredDropCapabilities: []string{"ALL"}, // CIS 5.2.7-5.2.9
			Volumes:                  restrictedVolumes,
			ForbiddenSysctls:         []string{"*"},
			HostPID:                  false, HostIPC: false, HostNetwork: false, // CIS 5.2.2-5.2.4
			RunAsUser:              PSPRuleRanges{Rule: "MustRunAsNonRoot"}, // CIS 5.2.6
			SELinux:                PSPRule{Rule: "RunAsAny"},
			SupplementalGroups:     PSPRuleRanges{Rule: "MustRunAs", Ranges: nonRootIDs},
			FSGroup:                PSPRuleRanges{Rule: "MustRunAs", Ranges: nonRootIDs},
			ReadOnlyRootFilesystem: false,
		}),
		// ingress-nginx before controller v1.9 binds 80/443 as uid 101
		// through file capabilities, which need privilege escalation
		// allowed; everything else matches global-restricted-psp.
		psp(PSPNetBindService, map[string]string{
			"seccomp.security.alpha.kubernetes.io/allowedProfileNames": "runtime/default",
			"seccomp.security.alpha.kubernetes.io/defaultProfileName":  "runtime/default",
		}, PSPSpec{
			Privileged: false, AllowPrivilegeEscalation: true,
			AllowedCapabilities:      []string{"NET_BIND_SERVICE"},
			RequiredDropCapabilities: []string{"ALL"},
			Volumes:                  restrictedVolumes,
			ForbiddenSysctls:         []string{"*"},
			RunAsUser:                PSPRuleRanges{Rule: "MustRunAsNonRoot"},
			SELinux:                  PSPRule{Rule: "RunAsAny"},
			SupplementalGroups:       PSPRuleRanges{Rule: "MustRunAs", Ranges: nonRootIDs},
			FSGroup:                  PSPRuleRanges{Rule: "MustRunAs", Ranges: nonRootIDs},
		}),
	}
}

// pspRoleName is the ClusterRole that grants "use" of a policy.
func pspRoleName(policy string) string {
	switch policy {
	case PSPSystemUnrestricted:
		return "system-unrestricted-psp-role"
	case PSPGlobalRestricted:
		return "use-restricted-psp"
	}
	return "use-" + policy
}

// PSPRBAC returns the ClusterRoles that grant each policy and the blog's
// bindings: system-unrestricted-psp for nodes and kube-system's service
// accounts, global-restricted-psp for every service account and
// authenticated user. Unlike the anchor, nothing is bound to
// system:unauthenticated, and the kube-system grant names that
// namespace's service-account group rather than every service account.
func PSPRBAC(grants map[string][]PSPGrant) ([]rbacv1.ClusterRole, []rbacv1.ClusterRoleBinding, []rbacv1.RoleBinding) {
	var roles []rbacv1.ClusterRole
	for _, p := range PodSecurityPolicies() {
		roles = append(roles, rbacv1.ClusterRole{
			TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRole"},
			ObjectMeta: metav1.ObjectMeta{Name: pspRoleName(p.Name)},
			// "extensions" as in the anchor: API servers before 1.16
			// checked that group too.
			Rules: []rbacv1.PolicyRule{{
				APIGroups: []string{"policy", "extensions"}, Resources: []string{"podsecuritypolicies"},
				ResourceNames: []string{p.Name}, Verbs: []string{"use"},
			}},
		})
	}
	group := func(name string) rbacv1.Subject {
		return rbacv1.Subject{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: name}
	}
	crb := func(name, policy string, subjects ...rbacv1.Subject) rbacv1.ClusterRoleBinding {
		return rbacv1.ClusterRoleBinding{
			TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRoleBinding"},
			ObjectMeta: metav1.ObjectMeta{Name: name},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: pspRoleName(policy)},
			Subjects:   subjects,
		}
	}
	rb := func(ns, name, policy string, subjects ...rbacv1.Subject) rbacv1.RoleBinding {
		return rbacv1.RoleBinding{
			TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "RoleBinding"},
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: pspRoleName(policy)},
			Subjects:   subjects,
		}
	}
	crbs := []rbacv1.ClusterRoleBinding{
		crb("system-unrestricted-node-psp-rolebinding", PSPSystemUnrestricted, group("system:nodes")),
		crb("restricted-role-bind", PSPGlobalRestricted, group("system:serviceaccounts"), group("system:authenticated")),
	}
	rbs := []rbacv1.RoleBinding{
		rb("kube-system", "system-unrestricted-svc-acct-psp-rolebinding", PSPSystemUnrestricted, group("system:serviceaccounts:kube-system")),
	}
	for _, ns := range sortedKeys(grants) {
		for _, g := range grants[ns] {
			var subjects []rbacv1.Subject
			for _, sa := range g.ServiceAccounts {
				subjects = append(subjects, rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Name: sa, Namespace: ns})
			}
			rbs = append(rbs, rb(ns, "psp-"+g.Policy, g.Policy, subjects...))
		}
	}
	return roles, crbs, rbs
}
