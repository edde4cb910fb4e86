package policies

import "testing"

var _ = casesFor("k3s-protect-kernel-defaults", func(t *testing.T) []policyCase {
	unknown := copyFile(t, serverParent, k3sConfigPath, "")
	unknown.Properties = unknown.Properties.Set("source", computed)
	return append(k3sCases(t, []string{"protect-kernel-defaults"},
		k3sCase{desc: "server sets it", parent: serverParent, text: hardenedServer},
		k3sCase{desc: "agent sets it", parent: agentParent, text: hardenedAgent},
		k3sCase{desc: "server turns it off", parent: serverParent, text: edit(t, hardenedServer, "protect-kernel-defaults: true", "protect-kernel-defaults: false"), n: 1},
		k3sCase{desc: "agent omits it", parent: agentParent, text: edit(t, hardenedAgent, "protect-kernel-defaults: true\n", ""), n: 1},
		k3sCase{desc: "drop-in without it", path: dropIn, text: "selinux: true\n"},
		k3sCase{desc: "drop-in turns it off", path: dropIn, text: "protect-kernel-defaults: false\n", n: 1},
	), policyCase{desc: "content unknown in preview", r: unknown})
})
