package policies

import "testing"

var _ = casesFor("k8s-no-unauthenticated-binding", func(*testing.T) []policyCase {
	return []policyCase{
		{desc: "authenticated users", r: roleBinding(typeClusterRoleBinding, "authn", "ClusterRole", "system:discovery",
			map[string]any{"kind": "Group", "name": "system:authenticated"})},
		{desc: "unauthenticated group", r: roleBinding(typeClusterRoleBinding, "open", "ClusterRole", "view",
			map[string]any{"kind": "Group", "name": "system:unauthenticated"}), n: 1, contains: []string{"system:unauthenticated"}},
		{desc: "anonymous user", r: roleBinding(typeRoleBinding, "anon", "Role", "reader",
			map[string]any{"kind": "User", "name": "system:anonymous"}), n: 1, contains: []string{"system:anonymous"}},
		{desc: "subjects unknown in preview", r: roleBinding(typeClusterRoleBinding, "later", "ClusterRole", "view", computed)},
	}
})
