package policies

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
)

// namespace builds a Namespace with PSA labels at level (audit and warn
// restricted); reason, when set, is the exemption annotation.
func namespace(name, level, reason string) policyx.AnalyzerResource {
	meta := map[string]any{"name": name, "labels": map[string]any{
		psaEnforceLabel: level, psaAuditLabel: psaRestricted, psaWarnLabel: psaRestricted,
	}}
	if reason != "" {
		meta["annotations"] = map[string]any{psaReasonAnnotation: reason}
	}
	return res(typeNamespace, name, map[string]any{"metadata": meta})
}

// deployment builds a Deployment in ns with one container whose security
// context and pod-level fields are given.
func deployment(name, ns string, podFields, securityContext map[string]any) policyx.AnalyzerResource {
	ctr := map[string]any{"name": "app", "image": "registry.example/app:1.0"}
	if securityContext != nil {
		ctr["securityContext"] = securityContext
	}
	spec := map[string]any{"containers": []any{ctr}}
	for k, v := range podFields {
		spec[k] = v
	}
	return res("kubernetes:apps/v1:Deployment", name, map[string]any{
		"metadata": map[string]any{"name": name, "namespace": ns},
		"spec":     map[string]any{"template": map[string]any{"spec": spec}},
	})
}

func TestK8sNoPrivilegedContainers(t *testing.T) {
	const name = "k8s-no-privileged-containers"
	priv := map[string]any{"privileged": true}
	cases := []struct {
		desc string
		rs   []policyx.AnalyzerResource
		n    int
	}{
		{"unprivileged", []policyx.AnalyzerResource{namespace("apps", psaRestricted, ""), deployment("web", "apps", nil, map[string]any{"privileged": false})}, 0},
		{"privileged in a restricted namespace", []policyx.AnalyzerResource{namespace("apps", psaRestricted, ""), deployment("web", "apps", nil, priv)}, 1},
		{"privileged in an unmanaged namespace (cluster default restricted)", []policyx.AnalyzerResource{deployment("web", "default", nil, priv)}, 1},
		{"privileged in a baseline namespace", []policyx.AnalyzerResource{namespace("apps", psaBaseline, "legacy app"), deployment("web", "apps", nil, priv)}, 1},
		{"privileged in a privileged namespace", []policyx.AnalyzerResource{namespace("falco", psaPrivileged, "Falco loads its driver"), deployment("falco", "falco", nil, priv)}, 0},
		{"privileged in kube-system", []policyx.AnalyzerResource{deployment("svclb", "kube-system", nil, priv)}, 0},
		{"privileged flag unknown in preview", []policyx.AnalyzerResource{deployment("web", "apps", nil, map[string]any{"privileged": computed})}, 0},
		{"namespace unknown in preview", []policyx.AnalyzerResource{deployment("web", "", nil, priv)}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.desc, func(t *testing.T) {
			if tc.desc == "namespace unknown in preview" {
				tc.rs[0].Properties = props(map[string]any{"metadata": map[string]any{"name": "web", "namespace": computed},
					"spec": tc.rs[0].Properties.Get("spec")})
			}
			wantReports(t, validateStack(t, devEnv(), name, tc.rs...), tc.n, "privileged", exemptAdvice)
		})
	}
	t.Run("init containers and pods count", func(t *testing.T) {
		pod := res("kubernetes:core/v1:Pod", "debug", map[string]any{
			"metadata": map[string]any{"name": "debug", "namespace": "apps"},
			"spec":     map[string]any{"initContainers": []any{map[string]any{"name": "init", "securityContext": priv}}, "containers": []any{map[string]any{"name": "app"}}},
		})
		wantReports(t, validateStack(t, devEnv(), name, pod), 1, "init")
	})
	t.Run("namespace labels unknown in preview", func(t *testing.T) {
		ns := res(typeNamespace, "falco", map[string]any{"metadata": map[string]any{"name": "falco", "labels": computed}})
		wantReports(t, validateStack(t, devEnv(), name, ns, deployment("falco", "falco", nil, priv)), 0)
	})
	t.Run("unlabelled namespace gets the cluster default", func(t *testing.T) {
		ns := res(typeNamespace, "apps", map[string]any{"metadata": map[string]any{"name": "apps"}})
		wantReports(t, validateStack(t, devEnv(), name, ns, deployment("web", "apps", nil, priv)), 1, "enforces restricted")
	})
	t.Run("stack exemption with a reason", func(t *testing.T) {
		env := devEnv()
		env.Exempt["metallb-system"] = "speaker on the host network"
		wantReports(t, validateStack(t, env, name, deployment("speaker", "metallb-system", nil, priv)), 0)
	})
}

func TestK8sNoHostNamespaces(t *testing.T) {
	const name = "k8s-no-host-namespaces"
	wantReports(t, validateStack(t, devEnv(), name, deployment("web", "apps", map[string]any{"hostNetwork": false}, nil)), 0)
	wantReports(t, validateStack(t, devEnv(), name, deployment("web", "apps", map[string]any{"hostNetwork": true, "hostPID": true, "hostIPC": true}, nil)), 3, "sets host")
	wantReports(t, validateStack(t, devEnv(), name,
		namespace("metallb-system", psaPrivileged, "the speaker answers ARP for service IPs on the node's interface"),
		deployment("speaker", "metallb-system", map[string]any{"hostNetwork": true}, nil)), 0)
	wantReports(t, validateStack(t, devEnv(), name, deployment("web", "apps", map[string]any{"hostPID": computed}, nil)), 0)
	cron := res("kubernetes:batch/v1:CronJob", "backup", map[string]any{
		"metadata": map[string]any{"name": "backup", "namespace": "apps"},
		"spec":     map[string]any{"jobTemplate": map[string]any{"spec": map[string]any{"template": map[string]any{"spec": map[string]any{"hostPID": true}}}}},
	})
	wantReports(t, validateStack(t, devEnv(), name, cron), 1, "CronJob backup sets hostPID")
}

func TestK8sNoHostPathVolumes(t *testing.T) {
	const name = "k8s-no-hostpath-volumes"
	vols := func(v ...any) map[string]any { return map[string]any{"volumes": v} }
	wantReports(t, validateStack(t, devEnv(), name, deployment("web", "apps", vols(map[string]any{"name": "tmp", "emptyDir": map[string]any{}}), nil)), 0)
	wantReports(t, validateStack(t, devEnv(), name, deployment("web", "apps", vols(map[string]any{"name": "sock", "hostPath": map[string]any{"path": "/run/k3s/containerd/containerd.sock"}}), nil)), 1, "hostPath volume sock")
	wantReports(t, validateStack(t, devEnv(), name, deployment("web", "apps", vols(computed), nil)), 0)
}

func TestK8sNoAddedCapabilities(t *testing.T) {
	const name = "k8s-no-added-capabilities"
	add := func(caps ...any) map[string]any {
		return map[string]any{"capabilities": map[string]any{"add": caps, "drop": []any{"ALL"}}}
	}
	cases := []struct {
		desc  string
		level string
		caps  []any
		n     int
	}{
		{"restricted: NET_BIND_SERVICE only", psaRestricted, []any{"NET_BIND_SERVICE"}, 0},
		{"restricted: NET_ADMIN", psaRestricted, []any{"NET_ADMIN"}, 1},
		{"restricted: CAP_ prefix", psaRestricted, []any{"CAP_SYS_ADMIN", "CAP_NET_BIND_SERVICE"}, 1},
		{"baseline: CHOWN allowed", psaBaseline, []any{"CHOWN"}, 0},
		{"baseline: NET_RAW", psaBaseline, []any{"NET_RAW"}, 1},
		{"privileged: anything", psaPrivileged, []any{"SYS_ADMIN"}, 0},
		{"restricted: one capability unknown", psaRestricted, []any{computed, "NET_BIND_SERVICE"}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.desc, func(t *testing.T) {
			got := validateStack(t, devEnv(), name, namespace("apps", tc.level, "why"), deployment("web", "apps", nil, add(tc.caps...)))
			wantReports(t, got, tc.n, "adds capability")
		})
	}
}

func TestK8sNamespacePSALabels(t *testing.T) {
	const name = "k8s-namespace-psa-labels"
	cases := []struct {
		desc string
		r    policyx.AnalyzerResource
		n    int
	}{
		{"restricted", namespace("apps", psaRestricted, ""), 0},
		{"privileged with a reason", namespace("metallb-system", psaPrivileged, "the speaker needs the host network"), 0},
		{"privileged without a reason", namespace("debug", psaPrivileged, ""), 1},
		{"baseline without a reason", namespace("legacy", psaBaseline, ""), 1},
		{"no labels", res(typeNamespace, "bare", map[string]any{"metadata": map[string]any{"name": "bare"}}), 3},
		{"audit relaxed", res(typeNamespace, "quiet", map[string]any{"metadata": map[string]any{"name": "quiet", "labels": map[string]any{
			psaEnforceLabel: psaRestricted, psaAuditLabel: psaPrivileged, psaWarnLabel: psaRestricted}}}), 1},
		{"labels unknown in preview", res(typeNamespace, "later", map[string]any{"metadata": map[string]any{"name": "later", "labels": computed}}), 0},
		{"reason unknown in preview", res(typeNamespace, "later", map[string]any{"metadata": map[string]any{"name": "later",
			"labels":      map[string]any{psaEnforceLabel: psaPrivileged, psaAuditLabel: psaRestricted, psaWarnLabel: psaRestricted},
			"annotations": map[string]any{psaReasonAnnotation: computed}}}), 0},
	}
	for _, tc := range cases {
		t.Run(tc.desc, func(t *testing.T) {
			wantReports(t, validate(t, devEnv(), name, tc.r, nil), tc.n, "namespace")
		})
	}
	t.Run("stack config exemption is a reason", func(t *testing.T) {
		env := devEnv()
		env.Exempt["debug"] = "incident tooling"
		wantReports(t, validate(t, env, name, namespace("debug", psaPrivileged, ""), nil), 0)
	})
	t.Run("PodSecurityPolicy clusters carry no labels", func(t *testing.T) {
		env := devEnv()
		env.PSP = true
		wantReports(t, validate(t, env, name, res(typeNamespace, "bare", map[string]any{"metadata": map[string]any{"name": "bare"}}), nil), 0)
	})
}

func networkPolicy(ns any) policyx.AnalyzerResource {
	return res(typeNetworkPolicy, "default-deny", map[string]any{"metadata": map[string]any{"name": "default-deny", "namespace": ns},
		"spec": map[string]any{"podSelector": map[string]any{}, "policyTypes": []any{"Ingress", "Egress"}}})
}

func TestK8sNamespaceNetworkPolicy(t *testing.T) {
	const name = "k8s-namespace-network-policy"
	wantReports(t, validateStack(t, devEnv(), name, namespace("apps", psaRestricted, ""), networkPolicy("apps"), deployment("web", "apps", nil, nil)), 0)
	wantReports(t, validateStack(t, devEnv(), name, namespace("apps", psaRestricted, ""), deployment("web", "apps", nil, nil)), 1, "namespace apps has no NetworkPolicy")
	wantReports(t, validateStack(t, devEnv(), name, namespace("apps", psaRestricted, ""), networkPolicy("apps"), deployment("web", "default", nil, nil)), 1, "namespace default")
	wantReports(t, validateStack(t, devEnv(), name, namespace("apps", psaRestricted, ""), networkPolicy(computed)), 0)
}

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

func TestK8sNoClusterAdminBinding(t *testing.T) {
	const name = "k8s-no-cluster-admin-binding"
	masters := map[string]any{"kind": "Group", "name": "system:masters", "apiGroup": "rbac.authorization.k8s.io"}
	cases := []struct {
		desc string
		r    policyx.AnalyzerResource
		cfg  map[string]any
		n    int
	}{
		{"view for an app", roleBinding(typeClusterRoleBinding, "app-view", "ClusterRole", "view", sa("apps", "web")), nil, 0},
		{"cluster-admin for system:masters", roleBinding(typeClusterRoleBinding, "admins", "ClusterRole", "cluster-admin", masters), nil, 0},
		{"cluster-admin for Falco", roleBinding(typeClusterRoleBinding, "falco", "ClusterRole", "cluster-admin", sa("falco", "falco")), nil, 1},
		{"cluster-admin in a namespace", roleBinding(typeRoleBinding, "ops", "ClusterRole", "cluster-admin", map[string]any{"kind": "User", "name": "ops"}), nil, 1},
		{"the platform's own, allowed by policy config", roleBinding(typeClusterRoleBinding, "platform-admin", "ClusterRole", "cluster-admin", map[string]any{"kind": "Group", "name": "platform"}),
			map[string]any{"allowedBindings": []any{"platform-admin"}}, 0},
		{"role name unknown in preview", roleBinding(typeClusterRoleBinding, "x", "ClusterRole", computed, sa("falco", "falco")), nil, 0},
	}
	for _, tc := range cases {
		t.Run(tc.desc, func(t *testing.T) {
			wantReports(t, validate(t, devEnv(), name, tc.r, tc.cfg), tc.n, "cluster-admin")
		})
	}
}

func TestK8sNoUnauthenticatedBinding(t *testing.T) {
	const name = "k8s-no-unauthenticated-binding"
	wantReports(t, validate(t, devEnv(), name, roleBinding(typeClusterRoleBinding, "authn", "ClusterRole", "system:discovery",
		map[string]any{"kind": "Group", "name": "system:authenticated"}), nil), 0)
	wantReports(t, validate(t, devEnv(), name, roleBinding(typeClusterRoleBinding, "open", "ClusterRole", "view",
		map[string]any{"kind": "Group", "name": "system:unauthenticated"}), nil), 1, "system:unauthenticated")
	wantReports(t, validate(t, devEnv(), name, roleBinding(typeRoleBinding, "anon", "Role", "reader",
		map[string]any{"kind": "User", "name": "system:anonymous"}), nil), 1, "system:anonymous")
	wantReports(t, validate(t, devEnv(), name, roleBinding(typeClusterRoleBinding, "later", "ClusterRole", "view", computed), nil), 0)
}

func clusterRole(name string, rules ...any) policyx.AnalyzerResource {
	return res(typeClusterRole, name, map[string]any{"metadata": map[string]any{"name": name}, "rules": rules})
}

func ruleOf(groups, resources, verbs []any) map[string]any {
	return map[string]any{"apiGroups": groups, "resources": resources, "verbs": verbs}
}

func TestK8sSecurityIdentitiesLeastPrivilege(t *testing.T) {
	const name = "k8s-security-identities-least-privilege"
	core := []any{""}
	read := []any{"get", "list", "watch"}
	falcoRole := clusterRole("falco-read", ruleOf(core, []any{"pods", "namespaces", "nodes"}, read), ruleOf([]any{"apps"}, []any{"deployments", "daemonsets"}, read))
	responderRole := clusterRole("responder", ruleOf(core, []any{"pods"}, []any{"get", "list", "delete"}), ruleOf(core, []any{"events"}, []any{"create"}))
	falcoBinding := roleBinding(typeClusterRoleBinding, "falco-read", "ClusterRole", "falco-read", sa("falco", "falco"))
	responderBinding := roleBinding(typeClusterRoleBinding, "responder", "ClusterRole", "responder", sa("falco-response", "falco-responder"))
	cases := []struct {
		desc string
		rs   []policyx.AnalyzerResource
		n    int
		want string
	}{
		{"least privilege", []policyx.AnalyzerResource{falcoRole, falcoBinding, responderRole, responderBinding}, 0, ""},
		{"Falco bound to view", []policyx.AnalyzerResource{roleBinding(typeClusterRoleBinding, "falco-view", "ClusterRole", "view", sa("falco", "falcosidekick"))}, 0, ""},
		{"Falco writes", []policyx.AnalyzerResource{clusterRole("falco-read", ruleOf(core, []any{"pods"}, []any{"get", "patch"})), falcoBinding}, 1, "Falco only reads"},
		{"Falco reads secrets", []policyx.AnalyzerResource{clusterRole("falco-read", ruleOf(core, []any{"secrets"}, read)), falcoBinding}, 1, "secrets"},
		{"responder wildcard", []policyx.AnalyzerResource{clusterRole("responder", ruleOf([]any{"*"}, []any{"pods"}, []any{"delete"})), responderBinding}, 1, "wildcard"},
		{"responder deletes deployments", []policyx.AnalyzerResource{clusterRole("responder", ruleOf([]any{"apps"}, []any{"deployments"}, []any{"delete"})), responderBinding}, 1, "only deletes"},
		{"responder execs", []policyx.AnalyzerResource{clusterRole("responder", ruleOf(core, []any{"pods/exec"}, []any{"create"})), responderBinding}, 2, "pods/exec"},
		{"responder escalates", []policyx.AnalyzerResource{clusterRole("responder", ruleOf([]any{"rbac.authorization.k8s.io"}, []any{"clusterroles"}, []any{"bind"})), responderBinding}, 2, "bind"},
		{"responder bound to edit", []policyx.AnalyzerResource{roleBinding(typeClusterRoleBinding, "responder", "ClusterRole", "edit", sa("falco-response", "falco-responder"))}, 1, "does not define"},
		{"rules unknown in preview", []policyx.AnalyzerResource{res(typeClusterRole, "responder", map[string]any{"metadata": map[string]any{"name": "responder"}, "rules": computed}), responderBinding}, 0, ""},
		{"other identities are not judged", []policyx.AnalyzerResource{clusterRole("app", ruleOf([]any{"*"}, []any{"*"}, []any{"*"})),
			roleBinding(typeClusterRoleBinding, "app", "ClusterRole", "app", sa("apps", "web"))}, 0, ""},
	}
	for _, tc := range cases {
		t.Run(tc.desc, func(t *testing.T) {
			got := validateStack(t, devEnv(), name, tc.rs...)
			if tc.want != "" {
				wantReports(t, got, tc.n, tc.want)
			} else {
				wantReports(t, got, tc.n)
			}
		})
	}
	t.Run("role found through the binding's dependencies while its name is unknown", func(t *testing.T) {
		role := res(typeClusterRole, "responder", map[string]any{"metadata": map[string]any{}, "rules": []any{ruleOf(core, []any{"secrets"}, read)}})
		b := roleBinding(typeClusterRoleBinding, "responder", "ClusterRole", computed, sa("falco-response", "falco-responder"))
		b.PropertyDependencies = map[string][]string{"roleRef": {role.URN}}
		wantReports(t, validateStack(t, devEnv(), name, role, b), 1, "secrets")
	})
}
