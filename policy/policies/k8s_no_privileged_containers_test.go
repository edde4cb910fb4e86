package policies

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
)

var _ = casesFor("k8s-no-privileged-containers", func(*testing.T) []policyCase {
	priv := map[string]any{"privileged": true}
	stack := func(desc string, n int, rs ...policyx.AnalyzerResource) policyCase {
		return policyCase{desc: desc, rs: rs, n: n, contains: []string{"privileged", exemptAdvice}}
	}
	nsUnknown := deployment("web", "", nil, priv)
	nsUnknown.Properties = props(map[string]any{"metadata": map[string]any{"name": "web", "namespace": computed},
		"spec": nsUnknown.Properties.Get("spec")})
	pod := res("kubernetes:core/v1:Pod", "debug", map[string]any{
		"metadata": map[string]any{"name": "debug", "namespace": "apps"},
		"spec":     map[string]any{"initContainers": []any{map[string]any{"name": "init", "securityContext": priv}}, "containers": []any{map[string]any{"name": "app"}}},
	})
	return []policyCase{
		stack("unprivileged", 0, namespace("apps", psaRestricted, ""), deployment("web", "apps", nil, map[string]any{"privileged": false})),
		stack("privileged in a restricted namespace", 1, namespace("apps", psaRestricted, ""), deployment("web", "apps", nil, priv)),
		stack("privileged in an unmanaged namespace (cluster default restricted)", 1, deployment("web", "default", nil, priv)),
		stack("privileged in a baseline namespace", 1, namespace("apps", psaBaseline, "legacy app"), deployment("web", "apps", nil, priv)),
		stack("privileged in a privileged namespace", 0, namespace("falco", psaPrivileged, "Falco loads its driver"), deployment("falco", "falco", nil, priv)),
		stack("privileged in kube-system", 0, deployment("svclb", "kube-system", nil, priv)),
		stack("privileged flag unknown in preview", 0, deployment("web", "apps", nil, map[string]any{"privileged": computed})),
		stack("namespace unknown in preview", 0, nsUnknown),
		{desc: "init containers and pods count", rs: []policyx.AnalyzerResource{pod}, n: 1, contains: []string{"init"}},
		{desc: "namespace labels unknown in preview", rs: []policyx.AnalyzerResource{
			res(typeNamespace, "falco", map[string]any{"metadata": map[string]any{"name": "falco", "labels": computed}}),
			deployment("falco", "falco", nil, priv)}},
		{desc: "unlabelled namespace gets the cluster default", n: 1, contains: []string{"enforces restricted"}, rs: []policyx.AnalyzerResource{
			res(typeNamespace, "apps", map[string]any{"metadata": map[string]any{"name": "apps"}}),
			deployment("web", "apps", nil, priv)}},
		{desc: "stack exemption with a reason", env: func(e *Env) { e.Exempt["metallb-system"] = "speaker on the host network" },
			rs: []policyx.AnalyzerResource{deployment("speaker", "metallb-system", nil, priv)}},
	}
})
