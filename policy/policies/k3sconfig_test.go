package policies

import (
	"strings"
	"testing"
)

// hardenedServer is a server config.yaml as components/k3s renders it
// (trimmed to what the policies read).
const hardenedServer = `node-name: dev-server-1
advertise-address: 10.203.0.11
cluster-init: true
token-file: /etc/rancher/k3s/cluster-token
tls-san:
- 10.203.0.100
write-kubeconfig-mode: "0600"
protect-kernel-defaults: true
secrets-encryption: true
kube-apiserver-arg:
- enable-admission-plugins=NodeRestriction,EventRateLimit
- admission-control-config-file=/var/lib/rancher/k3s/server/psa.yaml
- audit-policy-file=/var/lib/rancher/k3s/server/audit.yaml
- audit-log-path=/var/lib/rancher/k3s/server/logs/audit.log
- audit-log-maxage=30
- audit-log-maxbackup=10
- audit-log-maxsize=100
- service-account-extend-token-expiration=false
- tls-min-version=VersionTLS12
- tls-cipher-suites=TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305
kubelet-arg:
- streaming-connection-idle-timeout=5m
- tls-min-version=VersionTLS12
- tls-cipher-suites=TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
`

const hardenedAgent = `node-name: dev-agent-1
server: https://10.203.0.100:6443
token-file: /etc/rancher/k3s/agent-token
protect-kernel-defaults: true
kubelet-arg:
- streaming-connection-idle-timeout=5m
- tls-min-version=VersionTLS12
- tls-cipher-suites=TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
`

// edit replaces old with new in a config and fails when old is absent, so
// a fixture change cannot silently turn a violating case compliant.
func edit(t *testing.T, cfg, old, new string) string {
	t.Helper()
	if !strings.Contains(cfg, old) {
		t.Fatalf("fixture has no %q", old)
	}
	return strings.Replace(cfg, old, new, 1)
}

// k3sCase is one k3s config file and the reports it should get.
type k3sCase struct {
	desc   string
	parent string // component type in the URN; "" to infer the role
	path   string // default config.yaml
	text   string
	n      int
}

// k3sCases turns k3s config files into policy cases whose reports all
// mention contains.
func k3sCases(t *testing.T, contains []string, cs ...k3sCase) []policyCase {
	t.Helper()
	var out []policyCase
	for _, c := range cs {
		p := c.path
		if p == "" {
			p = k3sConfigPath
		}
		out = append(out, policyCase{desc: c.desc, r: copyFile(t, c.parent, p, c.text), n: c.n, contains: contains})
	}
	return out
}

const (
	serverParent = "k3s-onprem:k3s:Server"
	agentParent  = "k3s-onprem:k3s:Agent"
	dropIn       = "/etc/rancher/k3s/config.yaml.d/90-extra.yaml"
)
