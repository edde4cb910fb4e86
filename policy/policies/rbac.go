package policies

import (
	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
)

// RBAC type tokens.
const (
	typeClusterRoleBinding = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding"
	typeRoleBinding        = "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding"
	typeClusterRole        = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole"
	typeRole               = "kubernetes:rbac.authorization.k8s.io/v1:Role"
)

// subject is one known binding subject.
type subject struct{ kind, name, namespace string }

func (s subject) String() string {
	if s.namespace != "" {
		return s.kind + " " + s.namespace + "/" + s.name
	}
	return s.kind + " " + s.name
}

// binding is a RoleBinding or ClusterRoleBinding as far as it is known.
type binding struct {
	name, namespace string
	cluster         bool
	// roleKind and roleName are "" when not known yet.
	roleKind, roleName string
	subjects           []subject
}

// asBinding reads a (Cluster)RoleBinding; ok is false for other types.
func asBinding(r policyx.AnalyzerResource) (binding, bool) {
	if r.Type != typeClusterRoleBinding && r.Type != typeRoleBinding &&
		r.Type != typeClusterRoleBinding+"Patch" && r.Type != typeRoleBinding+"Patch" {
		return binding{}, false
	}
	p := r.Properties
	b := binding{cluster: r.Type == typeClusterRoleBinding || r.Type == typeClusterRoleBinding+"Patch"}
	b.name, _ = at(p, "metadata", "name").Str()
	if b.name == "" {
		b.name = r.Name
	}
	b.namespace, _ = at(p, "metadata", "namespace").Str()
	if !b.cluster && b.namespace == "" && at(p, "metadata", "namespace").Missing() {
		b.namespace = "default"
	}
	b.roleKind, _ = at(p, "roleRef", "kind").Str()
	b.roleName, _ = at(p, "roleRef", "name").Str()
	items, _ := at(p, "subjects").Items()
	for _, it := range items {
		m, ok := wrap(it).Map()
		if !ok {
			continue
		}
		s := subject{}
		s.kind, _ = at(m, "kind").Str()
		s.name, _ = at(m, "name").Str()
		s.namespace, _ = at(m, "namespace").Str()
		if s.kind == "ServiceAccount" && s.namespace == "" && !b.cluster {
			s.namespace = b.namespace
		}
		b.subjects = append(b.subjects, s)
	}
	return b, true
}

// rule is one PolicyRule of a Role or ClusterRole; unknown lists are nil
// with unknown set.
type rule struct {
	apiGroups, resources, verbs, resourceNames, nonResourceURLs []string
	unknown                                                     bool
}

// rulesOf reads the rules of a Role or ClusterRole resource.
func rulesOf(props property.Map) (rules []rule, anyUnknown bool) {
	v := at(props, "rules")
	if v.Unknown() {
		return nil, true
	}
	items, _ := v.Items()
	for _, it := range items {
		m, ok := wrap(it).Map()
		if !ok {
			anyUnknown = anyUnknown || it.IsComputed()
			continue
		}
		var r rule
		var u1, u2, u3, u4, u5 bool
		r.apiGroups, u1 = at(m, "apiGroups").strings()
		r.resources, u2 = at(m, "resources").strings()
		r.verbs, u3 = at(m, "verbs").strings()
		r.resourceNames, u4 = at(m, "resourceNames").strings()
		r.nonResourceURLs, u5 = at(m, "nonResourceURLs").strings()
		r.unknown = u1 || u2 || u3 || u4 || u5
		rules = append(rules, r)
	}
	return rules, anyUnknown
}
