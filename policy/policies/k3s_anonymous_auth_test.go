package policies

import "testing"

var _ = casesFor("k3s-anonymous-auth", func(t *testing.T) []policyCase {
	return k3sCases(t, []string{"anonymous-auth"},
		k3sCase{desc: "k3s default kept", parent: serverParent, text: hardenedServer},
		k3sCase{desc: "explicit false", parent: serverParent, text: edit(t, hardenedServer, "kubelet-arg:\n", "kubelet-arg:\n- anonymous-auth=false\n")},
		k3sCase{desc: "API server re-enabled", parent: serverParent, text: edit(t, hardenedServer, "kube-apiserver-arg:\n", "kube-apiserver-arg:\n- --anonymous-auth=true\n"), n: 1},
		k3sCase{desc: "kubelet re-enabled in a drop-in", parent: agentParent, path: dropIn, text: "kubelet-arg+:\n- anonymous-auth=true\n", n: 1},
	)
})
