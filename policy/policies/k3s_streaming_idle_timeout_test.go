package policies

import "testing"

var _ = casesFor("k3s-streaming-idle-timeout", func(t *testing.T) []policyCase {
	return k3sCases(t, []string{"streaming-connection-idle-timeout"},
		k3sCase{desc: "5m", parent: agentParent, text: hardenedAgent},
		k3sCase{desc: "never times out", parent: agentParent, text: edit(t, hardenedAgent, "idle-timeout=5m", "idle-timeout=0"), n: 1},
		k3sCase{desc: "longer than 4h", parent: serverParent, text: edit(t, hardenedServer, "idle-timeout=5m", "idle-timeout=24h"), n: 1},
		k3sCase{desc: "not set", parent: agentParent, text: edit(t, hardenedAgent, "- streaming-connection-idle-timeout=5m\n", ""), n: 1},
		k3sCase{desc: "drop-in appends other kubelet args", path: dropIn, text: "kubelet-arg+:\n- pod-max-pids=4096\n"},
	)
})
