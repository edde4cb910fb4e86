package policies

import "github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

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
