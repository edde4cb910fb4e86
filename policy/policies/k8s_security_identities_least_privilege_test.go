package policies

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
)

var _ = casesFor("k8s-security-identities-least-privilege", func(*testing.T) []policyCase {
	core := []any{""}
	read := []any{"get", "list", "watch"}
	falcoRole := clusterRole("falco-read", ruleOf(core, []any{"pods", "namespaces", "nodes"}, read), ruleOf([]any{"apps"}, []any{"deployments", "daemonsets"}, read))
	responderRole := clusterRole("responder", ruleOf(core, []any{"pods"}, []any{"get", "list", "delete"}), ruleOf(core, []any{"events"}, []any{"create"}))
	falcoBinding := roleBinding(typeClusterRoleBinding, "falco-read", "ClusterRole", "falco-read", sa("falco", "falco"))
	responderBinding := roleBinding(typeClusterRoleBinding, "responder", "ClusterRole", "responder", sa("falco-response", "falco-responder"))
	stack := func(desc string, n int, want string, rs ...policyx.AnalyzerResource) policyCase {
		c := policyCase{desc: desc, rs: rs, n: n}
		if want != "" {
			c.contains = []string{want}
		}
		return c
	}
	// The role is found through the binding's dependencies while its name
	// is not known yet.
	depRole := res(typeClusterRole, "responder", map[string]any{"metadata": map[string]any{}, "rules": []any{ruleOf(core, []any{"secrets"}, read)}})
	depBinding := roleBinding(typeClusterRoleBinding, "responder", "ClusterRole", computed, sa("falco-response", "falco-responder"))
	depBinding.PropertyDependencies = map[string][]string{"roleRef": {depRole.URN}}
	return []policyCase{
		stack("least privilege", 0, "", falcoRole, falcoBinding, responderRole, responderBinding),
		stack("Falco bound to view", 0, "", roleBinding(typeClusterRoleBinding, "falco-view", "ClusterRole", "view", sa("falco", "falcosidekick"))),
		stack("Falco writes", 1, "Falco only reads", clusterRole("falco-read", ruleOf(core, []any{"pods"}, []any{"get", "patch"})), falcoBinding),
		stack("Falco reads secrets", 1, "secrets", clusterRole("falco-read", ruleOf(core, []any{"secrets"}, read)), falcoBinding),
		stack("responder wildcard", 1, "wildcard", clusterRole("responder", ruleOf([]any{"*"}, []any{"pods"}, []any{"delete"})), responderBinding),
		stack("responder deletes deployments", 1, "only deletes", clusterRole("responder", ruleOf([]any{"apps"}, []any{"deployments"}, []any{"delete"})), responderBinding),
		stack("responder execs", 2, "pods/exec", clusterRole("responder", ruleOf(core, []any{"pods/exec"}, []any{"create"})), responderBinding),
		stack("responder escalates", 2, "bind", clusterRole("responder", ruleOf([]any{"rbac.authorization.k8s.io"}, []any{"clusterroles"}, []any{"bind"})), responderBinding),
		stack("responder bound to edit", 1, "does not define", roleBinding(typeClusterRoleBinding, "responder", "ClusterRole", "edit", sa("falco-response", "falco-responder"))),
		stack("rules unknown in preview", 0, "", res(typeClusterRole, "responder", map[string]any{"metadata": map[string]any{"name": "responder"}, "rules": computed}), responderBinding),
		stack("other identities are not judged", 0, "", clusterRole("app", ruleOf([]any{"*"}, []any{"*"}, []any{"*"})),
			roleBinding(typeClusterRoleBinding, "app", "ClusterRole", "app", sa("apps", "web"))),
		stack("role found through the binding's dependencies while its name is unknown", 1, "secrets", depRole, depBinding),
	}
})
