package policies

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
)

var _ = casesFor("k8s-no-added-capabilities", func(*testing.T) []policyCase {
	adds := func(desc, level string, n int, caps ...any) policyCase {
		sc := map[string]any{"capabilities": map[string]any{"add": caps, "drop": []any{"ALL"}}}
		return policyCase{desc: desc, n: n, contains: []string{"adds capability"},
			rs: []policyx.AnalyzerResource{namespace("apps", level, "why"), deployment("web", "apps", nil, sc)}}
	}
	return []policyCase{
		adds("restricted: NET_BIND_SERVICE only", psaRestricted, 0, "NET_BIND_SERVICE"),
		adds("restricted: NET_ADMIN", psaRestricted, 1, "NET_ADMIN"),
		adds("restricted: CAP_ prefix", psaRestricted, 1, "CAP_SYS_ADMIN", "CAP_NET_BIND_SERVICE"),
		adds("baseline: CHOWN allowed", psaBaseline, 0, "CHOWN"),
		adds("baseline: NET_RAW", psaBaseline, 1, "NET_RAW"),
		adds("privileged: anything", psaPrivileged, 0, "SYS_ADMIN"),
		adds("restricted: one capability unknown", psaRestricted, 0, computed, "NET_BIND_SERVICE"),
	}
})
