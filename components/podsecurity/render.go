package podsecurity

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// Config is the pure input of the layer.
type Config struct {
	// Mode is ModePSA or ModePSP (the stack validates it against the version).
	Mode string
	// KubeMinor is the Kubernetes minor version (34 for v1.34.4+k3s1).
	KubeMinor int
	// Namespaces are the namespaces the program creates, declared by the
	// components that install into them.
	Namespaces []Namespace
	Network    Network
}

// Manifests are the objects of the layer, by kind.
type Manifests struct {
	Namespaces []corev1.Namespace
	// ServiceAccounts are patches of the default service accounts.
	ServiceAccounts     []corev1.ServiceAccount
	NetworkPolicies     []networkingv1.NetworkPolicy
	AdmissionPolicies   []admissionv1.ValidatingAdmissionPolicy
	AdmissionBindings   []admissionv1.ValidatingAdmissionPolicyBinding
	PodSecurityPolicies []PodSecurityPolicy
	ClusterRoles        []rbacv1.ClusterRole
	ClusterRoleBindings []rbacv1.ClusterRoleBinding
	RoleBindings        []rbacv1.RoleBinding
}

// Render builds every object of the layer for cfg.
func Render(cfg Config) (*Manifests, error) {
	if cfg.Mode != ModePSA && cfg.Mode != ModePSP {
		return nil, fmt.Errorf("mode %q: want %s or %s", cfg.Mode, ModePSA, ModePSP)
	}
	m := &Manifests{}
	grants := map[string][]PSPGrant{}
	managed := append([]string(nil), ExistingNamespaces...)
	workloads := map[string][]Workload{}
	seen := map[string]bool{}
	for _, ns := range cfg.Namespaces {
		if err := ns.Validate(); err != nil {
			return nil, err
		}
		if seen[ns.Name] {
			return nil, fmt.Errorf("namespace %s declared twice", ns.Name)
		}
		seen[ns.Name] = true
		obj := corev1.Namespace{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
			ObjectMeta: metav1.ObjectMeta{Name: ns.Name},
		}
		// PSA labels only where PSA decides; on <= 1.24 the policies do.
		if cfg.Mode == ModePSA {
			obj.Labels = Labels(ns)
		}
		if ns.Enforce != Restricted {
			obj.Annotations = map[string]string{AnnotationReason: ns.Reason}
		}
		m.Namespaces = append(m.Namespaces, obj)
		managed = append(managed, ns.Name)
		workloads[ns.Name] = ns.Workloads
		if len(ns.PSPGrants) > 0 {
			grants[ns.Name] = ns.PSPGrants
		}
	}
	for _, ns := range managed {
		m.ServiceAccounts = append(m.ServiceAccounts, DefaultServiceAccount(ns))
		pols, err := NetworkPolicies(ns, workloads[ns], cfg.Network)
		if err != nil {
			return nil, err
		}
		m.NetworkPolicies = append(m.NetworkPolicies, pols...)
	}
	switch {
	case cfg.Mode == ModePSP:
		m.PodSecurityPolicies = PodSecurityPolicies()
		m.ClusterRoles, m.ClusterRoleBindings, m.RoleBindings = PSPRBAC(grants)
	case cfg.KubeMinor >= AutomountPolicyMinMinor:
		pol, bind := AutomountPolicy()
		m.AdmissionPolicies = append(m.AdmissionPolicies, pol)
		m.AdmissionBindings = append(m.AdmissionBindings, bind)
	}
	return m, nil
}

// Objects lists every object in apply order (policies before the
// namespaces they govern are populated).
func (m *Manifests) Objects() []any {
	var out []any
	for i := range m.PodSecurityPolicies {
		out = append(out, &m.PodSecurityPolicies[i])
	}
	for i := range m.ClusterRoles {
		out = append(out, &m.ClusterRoles[i])
	}
	for i := range m.ClusterRoleBindings {
		out = append(out, &m.ClusterRoleBindings[i])
	}
	for i := range m.AdmissionPolicies {
		out = append(out, &m.AdmissionPolicies[i], &m.AdmissionBindings[i])
	}
	for i := range m.Namespaces {
		out = append(out, &m.Namespaces[i])
	}
	for i := range m.RoleBindings {
		out = append(out, &m.RoleBindings[i])
	}
	for i := range m.ServiceAccounts {
		out = append(out, &m.ServiceAccounts[i])
	}
	for i := range m.NetworkPolicies {
		out = append(out, &m.NetworkPolicies[i])
	}
	return out
}

// YAML renders objects as one multi-document YAML stream.
func YAML(objs ...any) ([]byte, error) {
	var b bytes.Buffer
	for i, o := range objs {
		m, err := ToMap(o)
		if err != nil {
			return nil, err
		}
		y, err := yaml.Marshal(m)
		if err != nil {
			return nil, err
		}
		if i > 0 {
			b.WriteString("---\n")
		}
		b.Write(y)
	}
	return b.Bytes(), nil
}

// ToMap turns an API object into its JSON form as a map, without the
// fields Go structs always emit but a manifest leaves out
// (metadata.creationTimestamp: null, status, an empty spec).
func ToMap(o any) (map[string]any, error) {
	j, err := json.Marshal(o)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(j, &m); err != nil {
		return nil, err
	}
	if md, ok := m["metadata"].(map[string]any); ok {
		delete(md, "creationTimestamp")
	}
	delete(m, "status")
	if v, ok := m["spec"].(map[string]any); ok && len(v) == 0 {
		delete(m, "spec")
	}
	return m, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
