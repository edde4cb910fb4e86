package policies

import "github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

// roleBinding builds a (Cluster)RoleBinding to a role of roleKind.
func roleBinding(typ, name string, roleKind, roleName any, subjects ...any) policyx.AnalyzerResource {
	meta := map[string]any{"name": name}
	if typ == typeRoleBinding {
		meta["namespace"] = "apps"
	}
	return res(typ, name, map[string]any{"metadata": meta,
		"roleRef":  map[string]any{"apiGroup": "rbac.authorization.k8s.io", "kind": roleKind, "name": roleName},
		"subjects": subjects})
}

func sa(ns, name string) map[string]any {
	return map[string]any{"kind": "ServiceAccount", "name": name, "namespace": ns}
}

func clusterRole(name string, rules ...any) policyx.AnalyzerResource {
	return res(typeClusterRole, name, map[string]any{"metadata": map[string]any{"name": name}, "rules": rules})
}

func ruleOf(groups, resources, verbs []any) map[string]any {
	return map[string]any{"apiGroups": groups, "resources": resources, "verbs": verbs}
}
