package policies

import "testing"

var _ = casesFor("k8s-namespace-psa-labels", func(*testing.T) []policyCase {
	ns := []string{"namespace"}
	bare := res(typeNamespace, "bare", map[string]any{"metadata": map[string]any{"name": "bare"}})
	return []policyCase{
		{desc: "restricted", r: namespace("apps", psaRestricted, ""), contains: ns},
		{desc: "privileged with a reason", r: namespace("metallb-system", psaPrivileged, "the speaker needs the host network"), contains: ns},
		{desc: "privileged without a reason", r: namespace("debug", psaPrivileged, ""), n: 1, contains: ns},
		{desc: "baseline without a reason", r: namespace("legacy", psaBaseline, ""), n: 1, contains: ns},
		{desc: "no labels", r: bare, n: 3, contains: ns},
		{desc: "audit relaxed", r: res(typeNamespace, "quiet", map[string]any{"metadata": map[string]any{"name": "quiet", "labels": map[string]any{
			psaEnforceLabel: psaRestricted, psaAuditLabel: psaPrivileged, psaWarnLabel: psaRestricted}}}), n: 1, contains: ns},
		{desc: "labels unknown in preview", r: res(typeNamespace, "later", map[string]any{"metadata": map[string]any{"name": "later", "labels": computed}}), contains: ns},
		{desc: "reason unknown in preview", r: res(typeNamespace, "later", map[string]any{"metadata": map[string]any{"name": "later",
			"labels":      map[string]any{psaEnforceLabel: psaPrivileged, psaAuditLabel: psaRestricted, psaWarnLabel: psaRestricted},
			"annotations": map[string]any{psaReasonAnnotation: computed}}}), contains: ns},
		{desc: "stack config exemption is a reason", env: func(e *Env) { e.Exempt["debug"] = "incident tooling" }, r: namespace("debug", psaPrivileged, "")},
		{desc: "PodSecurityPolicy clusters carry no labels", env: func(e *Env) { e.PSP = true }, r: bare},
	}
})
