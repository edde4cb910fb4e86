package policies

import "testing"

var _ = casesFor("k3s-sa-token-expiration", func(t *testing.T) []policyCase {
	without := edit(t, hardenedServer, "- service-account-extend-token-expiration=false\n", "")
	return append(k3sCases(t, []string{"service-account-extend-token-expiration"},
		k3sCase{desc: "set on 1.34", parent: serverParent, text: hardenedServer},
		k3sCase{desc: "missing on 1.34", parent: serverParent, text: without, n: 1},
		k3sCase{desc: "true on 1.34", parent: serverParent, text: edit(t, hardenedServer, "expiration=false", "expiration=true"), n: 1},
		k3sCase{desc: "agents are not judged", parent: agentParent, text: hardenedAgent},
	),
		policyCase{desc: "not needed before 1.29", env: func(e *Env) { e.K3sVersion = "v1.28.15+k3s1" }, r: copyFile(t, serverParent, k3sConfigPath, without)},
		policyCase{desc: "version not known", env: func(e *Env) { e.K3sVersion = "" }, r: copyFile(t, serverParent, k3sConfigPath, without)},
	)
})
