package policies

import "testing"

var _ = casesFor("k3s-tls-cipher-suites", func(t *testing.T) []policyCase {
	return k3sCases(t, nil,
		k3sCase{desc: "server ECDHE only", parent: serverParent, text: hardenedServer},
		k3sCase{desc: "agent ECDHE only", parent: agentParent, text: hardenedAgent},
		k3sCase{desc: "RSA key exchange", parent: serverParent, text: edit(t, hardenedServer, "tls-cipher-suites=TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,", "tls-cipher-suites=TLS_RSA_WITH_AES_256_GCM_SHA384,"), n: 1},
		k3sCase{desc: "CBC suite on a kubelet", parent: agentParent, text: edit(t, hardenedAgent, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"), n: 1},
		k3sCase{desc: "kubelet without a list", parent: agentParent, text: edit(t, hardenedAgent, "- tls-cipher-suites=TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\n", ""), n: 1},
		k3sCase{desc: "API server without a list", parent: serverParent, text: edit(t, hardenedServer, "- tls-cipher-suites=TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305\n", ""), n: 1},
		k3sCase{desc: "TLS 1.1 minimum", parent: agentParent, text: edit(t, hardenedAgent, "tls-min-version=VersionTLS12", "tls-min-version=VersionTLS11"), n: 1},
	)
})
