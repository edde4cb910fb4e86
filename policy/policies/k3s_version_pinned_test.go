package policies

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
)

var _ = casesFor("k3s-version-pinned", func(t *testing.T) []policyCase {
	node := func(desc string, version any, verify, airgap bool, n int) policyCase {
		return policyCase{desc: desc, n: n, r: res("k3s-onprem:k3s:Server", "dev-server-1",
			map[string]any{"node": "dev-server-1", "role": "server", "version": version, "verifyChecksum": verify, "airgap": airgap, "vip": "10.203.0.100"})}
	}
	step := func(sha string) policyx.AnalyzerResource {
		return res("command:remote:CopyToRemote", "dev-server-1-k3s-binary-copy-run.sh", map[string]any{"connection": conn(nil),
			"remotePath": "/var/lib/k3s-onprem/steps/k3s-binary/run.sh",
			"source":     textAsset(t, "#!/usr/bin/env bash\nAIRGAP='1'\nBINARY_SHA256='"+sha+"'\nVERSION='v1.34.4+k3s1'\n")})
	}
	return []policyCase{
		node("pinned and verified", "v1.34.4+k3s1", true, false, 0),
		node("air-gapped", "v1.34.4+k3s1", false, true, 0),
		node("channel", "stable", true, false, 1),
		node("minor only", "v1.34", true, false, 1),
		node("checksum off", "v1.34.4+k3s1", false, false, 1),
		node("version unknown in preview", computed, true, false, 0),
		{desc: "get.k3s.io install", n: 1, contains: []string{"get.k3s.io"},
			r: res("command:remote:Command", "dev-server-1-install", map[string]any{"connection": conn(nil), "create": "curl -sfL https://get.k3s.io | INSTALL_K3S_CHANNEL=stable sh -"})},
		{desc: "air-gap checksum in the binary step", r: step(strings.Repeat("ab", 32))},
		{desc: "air-gap binary step without a checksum", r: step(""), n: 1, contains: []string{"binarySha256"}},
	}
})
