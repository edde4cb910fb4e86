package policies

import "testing"

var _ = casesFor("k3s-secrets-encryption", func(t *testing.T) []policyCase {
	return k3sCases(t, []string{"secrets-encryption"},
		k3sCase{desc: "server sets it", parent: serverParent, text: hardenedServer},
		k3sCase{desc: "agents are not judged", parent: agentParent, text: hardenedAgent},
		k3sCase{desc: "server turns it off", parent: serverParent, text: edit(t, hardenedServer, "secrets-encryption: true", "secrets-encryption: false"), n: 1},
		k3sCase{desc: "server omits it (role from content)", text: edit(t, hardenedServer, "secrets-encryption: true\n", ""), n: 1},
		k3sCase{desc: "drop-in turns it off", path: dropIn, text: "secrets-encryption: \"false\"\n", n: 1},
	)
})
