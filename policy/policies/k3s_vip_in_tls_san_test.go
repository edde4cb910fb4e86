package policies

import "testing"

var _ = casesFor("k3s-vip-in-tls-san", func(t *testing.T) []policyCase {
	return k3sCases(t, []string{"10.203.0.100"},
		k3sCase{desc: "VIP listed", parent: serverParent, text: hardenedServer},
		k3sCase{desc: "VIP missing", parent: serverParent, text: edit(t, hardenedServer, "- 10.203.0.100\n", "- k3s.example.internal\n"), n: 1},
		k3sCase{desc: "no tls-san at all", parent: serverParent, text: edit(t, hardenedServer, "tls-san:\n- 10.203.0.100\n", ""), n: 1},
		k3sCase{desc: "agents are not judged", parent: agentParent, text: hardenedAgent},
		k3sCase{desc: "drop-in appends names", parent: serverParent, path: dropIn, text: "tls-san+:\n- api.example\n"},
		k3sCase{desc: "drop-in replaces the list", parent: serverParent, path: dropIn, text: "tls-san:\n- api.example\n", n: 1},
	)
})
