package policies

import "testing"

var _ = casesFor("k8s-no-cluster-admin-binding", func(*testing.T) []policyCase {
	masters := map[string]any{"kind": "Group", "name": "system:masters", "apiGroup": "rbac.authorization.k8s.io"}
	ca := []string{"cluster-admin"}
	return []policyCase{
		{desc: "view for an app", r: roleBinding(typeClusterRoleBinding, "app-view", "ClusterRole", "view", sa("apps", "web")), contains: ca},
		{desc: "cluster-admin for system:masters", r: roleBinding(typeClusterRoleBinding, "admins", "ClusterRole", "cluster-admin", masters), contains: ca},
		{desc: "cluster-admin for Falco", r: roleBinding(typeClusterRoleBinding, "falco", "ClusterRole", "cluster-admin", sa("falco", "falco")), n: 1, contains: ca},
		{desc: "cluster-admin in a namespace", r: roleBinding(typeRoleBinding, "ops", "ClusterRole", "cluster-admin", map[string]any{"kind": "User", "name": "ops"}), n: 1, contains: ca},
		{desc: "the platform's own, allowed by policy config",
			r:      roleBinding(typeClusterRoleBinding, "platform-admin", "ClusterRole", "cluster-admin", map[string]any{"kind": "Group", "name": "platform"}),
			config: map[string]any{"allowedBindings": []any{"platform-admin"}}, contains: ca},
		{desc: "role name unknown in preview", r: roleBinding(typeClusterRoleBinding, "x", "ClusterRole", computed, sa("falco", "falco")), contains: ca},
	}
})
