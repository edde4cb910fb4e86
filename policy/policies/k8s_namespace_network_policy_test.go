package policies

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
)

func networkPolicy(ns any) policyx.AnalyzerResource {
	return res(typeNetworkPolicy, "default-deny", map[string]any{"metadata": map[string]any{"name": "default-deny", "namespace": ns},
		"spec": map[string]any{"podSelector": map[string]any{}, "policyTypes": []any{"Ingress", "Egress"}}})
}

var _ = casesFor("k8s-namespace-network-policy", func(*testing.T) []policyCase {
	return []policyCase{
		{desc: "namespace with a policy", rs: []policyx.AnalyzerResource{namespace("apps", psaRestricted, ""), networkPolicy("apps"), deployment("web", "apps", nil, nil)}},
		{desc: "namespace without one", rs: []policyx.AnalyzerResource{namespace("apps", psaRestricted, ""), deployment("web", "apps", nil, nil)},
			n: 1, contains: []string{"namespace apps has no NetworkPolicy"}},
		{desc: "workload in a namespace without one", rs: []policyx.AnalyzerResource{namespace("apps", psaRestricted, ""), networkPolicy("apps"), deployment("web", "default", nil, nil)},
			n: 1, contains: []string{"namespace default"}},
		{desc: "policy namespace unknown in preview", rs: []policyx.AnalyzerResource{namespace("apps", psaRestricted, ""), networkPolicy(computed)}},
	}
})
