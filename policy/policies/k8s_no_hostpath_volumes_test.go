package policies

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
)

var _ = casesFor("k8s-no-hostpath-volumes", func(*testing.T) []policyCase {
	vols := func(v ...any) map[string]any { return map[string]any{"volumes": v} }
	return []policyCase{
		{desc: "emptyDir", rs: []policyx.AnalyzerResource{deployment("web", "apps", vols(map[string]any{"name": "tmp", "emptyDir": map[string]any{}}), nil)}},
		{desc: "containerd socket", rs: []policyx.AnalyzerResource{deployment("web", "apps", vols(map[string]any{"name": "sock", "hostPath": map[string]any{"path": "/run/k3s/containerd/containerd.sock"}}), nil)},
			n: 1, contains: []string{"hostPath volume sock"}},
		{desc: "volumes unknown in preview", rs: []policyx.AnalyzerResource{deployment("web", "apps", vols(computed), nil)}},
	}
})
