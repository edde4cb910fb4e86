package policies

import "testing"

var _ = casesFor("k3s-kubeconfig-mode", func(t *testing.T) []policyCase {
	return k3sCases(t, []string{"write-kubeconfig-mode"},
		k3sCase{desc: "0600", parent: serverParent, text: hardenedServer},
		k3sCase{desc: "k3s default", parent: serverParent, text: edit(t, hardenedServer, "write-kubeconfig-mode: \"0600\"\n", "")},
		k3sCase{desc: "0644", parent: serverParent, text: edit(t, hardenedServer, "\"0600\"", "\"0644\""), n: 1},
		k3sCase{desc: "numeric 644", parent: serverParent, text: edit(t, hardenedServer, "\"0600\"", "644"), n: 1},
	)
})
