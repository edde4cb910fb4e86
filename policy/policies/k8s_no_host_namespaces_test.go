package policies

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
)

var _ = casesFor("k8s-no-host-namespaces", func(*testing.T) []policyCase {
	cron := res("kubernetes:batch/v1:CronJob", "backup", map[string]any{
		"metadata": map[string]any{"name": "backup", "namespace": "apps"},
		"spec":     map[string]any{"jobTemplate": map[string]any{"spec": map[string]any{"template": map[string]any{"spec": map[string]any{"hostPID": true}}}}},
	})
	return []policyCase{
		{desc: "hostNetwork false", rs: []policyx.AnalyzerResource{deployment("web", "apps", map[string]any{"hostNetwork": false}, nil)}},
		{desc: "every host namespace", rs: []policyx.AnalyzerResource{deployment("web", "apps", map[string]any{"hostNetwork": true, "hostPID": true, "hostIPC": true}, nil)},
			n: 3, contains: []string{"sets host"}},
		{desc: "host network in a privileged namespace with a reason", rs: []policyx.AnalyzerResource{
			namespace("metallb-system", psaPrivileged, "the speaker answers ARP for service IPs on the node's interface"),
			deployment("speaker", "metallb-system", map[string]any{"hostNetwork": true}, nil)}},
		{desc: "hostPID unknown in preview", rs: []policyx.AnalyzerResource{deployment("web", "apps", map[string]any{"hostPID": computed}, nil)}},
		{desc: "CronJob pod template", rs: []policyx.AnalyzerResource{cron}, n: 1, contains: []string{"CronJob backup sets hostPID"}},
	}
})
