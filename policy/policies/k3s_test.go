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

func runK3sCases(t *testing.T, env Env, name string, cases []k3sCase, contains ...string) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.desc, func(t *testing.T) {
			p := tc.path
			if p == "" {
				p = k3sConfigPath
			}
			got := validate(t, env, name, copyFile(t, tc.parent, p, tc.text), nil)
			if tc.n > 0 {
				wantReports(t, got, tc.n, contains...)
			} else {
				wantReports(t, got, 0)
			}
		})
	}
}

const (
	serverParent = "k3s-onprem:k3s:Server"
	agentParent  = "k3s-onprem:k3s:Agent"
	dropIn       = "/etc/rancher/k3s/config.yaml.d/90-extra.yaml"
)

func TestK3sProtectKernelDefaults(t *testing.T) {
	runK3sCases(t, devEnv(), "k3s-protect-kernel-defaults", []k3sCase{
		{desc: "server sets it", parent: serverParent, text: hardenedServer},
		{desc: "agent sets it", parent: agentParent, text: hardenedAgent},
		{desc: "server turns it off", parent: serverParent, text: edit(t, hardenedServer, "protect-kernel-defaults: true", "protect-kernel-defaults: false"), n: 1},
		{desc: "agent omits it", parent: agentParent, text: edit(t, hardenedAgent, "protect-kernel-defaults: true\n", ""), n: 1},
		{desc: "drop-in without it", path: dropIn, text: "selinux: true\n"},
		{desc: "drop-in turns it off", path: dropIn, text: "protect-kernel-defaults: false\n", n: 1},
	}, "protect-kernel-defaults")
	t.Run("content unknown in preview", func(t *testing.T) {
		r := copyFile(t, serverParent, k3sConfigPath, "")
		r.Properties = r.Properties.Set("source", computed)
		wantReports(t, validate(t, devEnv(), "k3s-protect-kernel-defaults", r, nil), 0)
	})
}

func TestK3sSecretsEncryption(t *testing.T) {
	runK3sCases(t, devEnv(), "k3s-secrets-encryption", []k3sCase{
		{desc: "server sets it", parent: serverParent, text: hardenedServer},
		{desc: "agents are not judged", parent: agentParent, text: hardenedAgent},
		{desc: "server turns it off", parent: serverParent, text: edit(t, hardenedServer, "secrets-encryption: true", "secrets-encryption: false"), n: 1},
		{desc: "server omits it (role from content)", text: edit(t, hardenedServer, "secrets-encryption: true\n", ""), n: 1},
		{desc: "drop-in turns it off", path: dropIn, text: "secrets-encryption: \"false\"\n", n: 1},
	}, "secrets-encryption")
}

func TestK3sAuditLog(t *testing.T) {
	runK3sCases(t, devEnv(), "k3s-audit-log", []k3sCase{
		{desc: "hardened server", parent: serverParent, text: hardenedServer},
		{desc: "agents are not judged", parent: agentParent, text: hardenedAgent},
		{desc: "maxage too short", parent: serverParent, text: edit(t, hardenedServer, "audit-log-maxage=30", "audit-log-maxage=7"), n: 1},
		{desc: "maxbackup too few", parent: serverParent, text: edit(t, hardenedServer, "audit-log-maxbackup=10", "audit-log-maxbackup=3"), n: 1},
		{desc: "maxsize too small", parent: serverParent, text: edit(t, hardenedServer, "audit-log-maxsize=100", "audit-log-maxsize=10"), n: 1},
		{desc: "no audit policy", parent: serverParent, text: edit(t, hardenedServer, "- audit-policy-file=/var/lib/rancher/k3s/server/audit.yaml\n", ""), n: 1},
		{desc: "no audit log path", parent: serverParent, text: edit(t, hardenedServer, "- audit-log-path=/var/lib/rancher/k3s/server/logs/audit.log\n", ""), n: 1},
		{desc: "drop-in appends a weaker retention", parent: serverParent, path: dropIn, text: "kube-apiserver-arg+:\n- audit-log-maxage=1\n", n: 1},
		{desc: "drop-in replaces the list without audit flags", parent: serverParent, path: dropIn, text: "kube-apiserver-arg:\n- audit-log-maxage=30\n", n: 4},
	}, "audit")
	t.Run("audit policy file", func(t *testing.T) {
		const good = "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: None\n  resources: [{group: coordination.k8s.io, resources: [leases]}]\n- level: Metadata\n"
		const none = "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: None\n"
		wantReports(t, validate(t, devEnv(), "k3s-audit-log", copyFile(t, serverParent, "/var/lib/rancher/k3s/server/audit.yaml", good), nil), 0)
		wantReports(t, validate(t, devEnv(), "k3s-audit-log", copyFile(t, serverParent, "/var/lib/rancher/k3s/server/audit.yaml", none), nil), 1, "logs nothing")
	})
}

// psaConfig is an AdmissionConfiguration as components/k3s renders it.
const psaConfig = `apiVersion: apiserver.config.k8s.io/v1
kind: AdmissionConfiguration
plugins:
- name: PodSecurity
  configuration:
    apiVersion: pod-security.admission.config.k8s.io/v1
    kind: PodSecurityConfiguration
    defaults:
      enforce: restricted
      enforce-version: latest
      audit: restricted
      warn: restricted
    exemptions:
      namespaces: [kube-system]
- name: EventRateLimit
  configuration:
    apiVersion: eventratelimit.admission.k8s.io/v1alpha1
    kind: Configuration
    limits: [{type: Server, qps: 5000, burst: 20000}]
`

func TestK3sPSAAdmission(t *testing.T) {
	const psaPath = "/var/lib/rancher/k3s/server/psa.yaml"
	runK3sCases(t, devEnv(), "k3s-psa-admission", []k3sCase{
		{desc: "server passes the config", parent: serverParent, text: hardenedServer},
		{desc: "server without admission config", parent: serverParent, text: edit(t, hardenedServer, "- admission-control-config-file=/var/lib/rancher/k3s/server/psa.yaml\n", ""), n: 1},
		{desc: "server disables PodSecurity", parent: serverParent, text: edit(t, hardenedServer, "kube-apiserver-arg:\n", "kube-apiserver-arg:\n- disable-admission-plugins=PodSecurity\n"), n: 1},
		{desc: "restricted, kube-system exempt", path: psaPath, text: psaConfig},
		{desc: "baseline default", path: psaPath, text: edit(t, psaConfig, "enforce: restricted", "enforce: baseline"), n: 1},
		{desc: "unjustified exemption", path: psaPath, text: edit(t, psaConfig, "namespaces: [kube-system]", "namespaces: [kube-system, metallb-system]"), n: 1},
		{desc: "user exemption", path: psaPath, text: edit(t, psaConfig, "namespaces: [kube-system]", "namespaces: [kube-system]\n      usernames: [ops]"), n: 1},
		{desc: "no PodSecurity plugin", path: psaPath, text: "apiVersion: apiserver.config.k8s.io/v1\nkind: AdmissionConfiguration\nplugins: []\n", n: 1},
	})
	t.Run("exemption justified in the stack config", func(t *testing.T) {
		env := EnvFromConfig("dev", func(k string) (string, bool) {
			if k == "k3s-onprem:podSecurity" {
				return `{"exemptNamespaces":[{"namespace":"metallb-system","reason":"the speaker answers ARP on the host network"}]}`, true
			}
			return "", false
		})
		text := edit(t, psaConfig, "namespaces: [kube-system]", "namespaces: [kube-system, metallb-system]")
		wantReports(t, validate(t, env, "k3s-psa-admission", copyFile(t, serverParent, psaPath, text), nil), 0)
	})
	t.Run("PodSecurityPolicy clusters are not judged", func(t *testing.T) {
		env := devEnv()
		env.PSP = true
		text := edit(t, hardenedServer, "- admission-control-config-file=/var/lib/rancher/k3s/server/psa.yaml\n", "")
		wantReports(t, validate(t, env, "k3s-psa-admission", copyFile(t, serverParent, k3sConfigPath, text), nil), 0)
	})
}

func TestK3sAnonymousAuth(t *testing.T) {
	runK3sCases(t, devEnv(), "k3s-anonymous-auth", []k3sCase{
		{desc: "k3s default kept", parent: serverParent, text: hardenedServer},
		{desc: "explicit false", parent: serverParent, text: edit(t, hardenedServer, "kubelet-arg:\n", "kubelet-arg:\n- anonymous-auth=false\n")},
		{desc: "API server re-enabled", parent: serverParent, text: edit(t, hardenedServer, "kube-apiserver-arg:\n", "kube-apiserver-arg:\n- --anonymous-auth=true\n"), n: 1},
		{desc: "kubelet re-enabled in a drop-in", parent: agentParent, path: dropIn, text: "kubelet-arg+:\n- anonymous-auth=true\n", n: 1},
	}, "anonymous-auth")
}

func TestK3sTLSCipherSuites(t *testing.T) {
	runK3sCases(t, devEnv(), "k3s-tls-cipher-suites", []k3sCase{
		{desc: "server ECDHE only", parent: serverParent, text: hardenedServer},
		{desc: "agent ECDHE only", parent: agentParent, text: hardenedAgent},
		{desc: "RSA key exchange", parent: serverParent, text: edit(t, hardenedServer, "tls-cipher-suites=TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,", "tls-cipher-suites=TLS_RSA_WITH_AES_256_GCM_SHA384,"), n: 1},
		{desc: "CBC suite on a kubelet", parent: agentParent, text: edit(t, hardenedAgent, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"), n: 1},
		{desc: "kubelet without a list", parent: agentParent, text: edit(t, hardenedAgent, "- tls-cipher-suites=TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\n", ""), n: 1},
		{desc: "API server without a list", parent: serverParent, text: edit(t, hardenedServer, "- tls-cipher-suites=TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305\n", ""), n: 1},
		{desc: "TLS 1.1 minimum", parent: agentParent, text: edit(t, hardenedAgent, "tls-min-version=VersionTLS12", "tls-min-version=VersionTLS11"), n: 1},
	})
}

func TestK3sStreamingIdleTimeout(t *testing.T) {
	runK3sCases(t, devEnv(), "k3s-streaming-idle-timeout", []k3sCase{
		{desc: "5m", parent: agentParent, text: hardenedAgent},
		{desc: "never times out", parent: agentParent, text: edit(t, hardenedAgent, "idle-timeout=5m", "idle-timeout=0"), n: 1},
		{desc: "longer than 4h", parent: serverParent, text: edit(t, hardenedServer, "idle-timeout=5m", "idle-timeout=24h"), n: 1},
		{desc: "not set", parent: agentParent, text: edit(t, hardenedAgent, "- streaming-connection-idle-timeout=5m\n", ""), n: 1},
		{desc: "drop-in appends other kubelet args", path: dropIn, text: "kubelet-arg+:\n- pod-max-pids=4096\n"},
	}, "streaming-connection-idle-timeout")
}

func TestK3sSATokenExpiration(t *testing.T) {
	without := edit(t, hardenedServer, "- service-account-extend-token-expiration=false\n", "")
	runK3sCases(t, devEnv(), "k3s-sa-token-expiration", []k3sCase{
		{desc: "set on 1.34", parent: serverParent, text: hardenedServer},
		{desc: "missing on 1.34", parent: serverParent, text: without, n: 1},
		{desc: "true on 1.34", parent: serverParent, text: edit(t, hardenedServer, "expiration=false", "expiration=true"), n: 1},
		{desc: "agents are not judged", parent: agentParent, text: hardenedAgent},
	}, "service-account-extend-token-expiration")
	old := devEnv()
	old.K3sVersion = "v1.28.15+k3s1"
	runK3sCases(t, old, "k3s-sa-token-expiration", []k3sCase{{desc: "not needed before 1.29", parent: serverParent, text: without}})
	noVersion := devEnv()
	noVersion.K3sVersion = ""
	runK3sCases(t, noVersion, "k3s-sa-token-expiration", []k3sCase{{desc: "version not known", parent: serverParent, text: without}})
}

func TestK3sKubeconfigMode(t *testing.T) {
	runK3sCases(t, devEnv(), "k3s-kubeconfig-mode", []k3sCase{
		{desc: "0600", parent: serverParent, text: hardenedServer},
		{desc: "k3s default", parent: serverParent, text: edit(t, hardenedServer, "write-kubeconfig-mode: \"0600\"\n", "")},
		{desc: "0644", parent: serverParent, text: edit(t, hardenedServer, "\"0600\"", "\"0644\""), n: 1},
		{desc: "numeric 644", parent: serverParent, text: edit(t, hardenedServer, "\"0600\"", "644"), n: 1},
	}, "write-kubeconfig-mode")
}

func TestK3sVIPInTLSSAN(t *testing.T) {
	runK3sCases(t, devEnv(), "k3s-vip-in-tls-san", []k3sCase{
		{desc: "VIP listed", parent: serverParent, text: hardenedServer},
		{desc: "VIP missing", parent: serverParent, text: edit(t, hardenedServer, "- 10.203.0.100\n", "- k3s.example.internal\n"), n: 1},
		{desc: "no tls-san at all", parent: serverParent, text: edit(t, hardenedServer, "tls-san:\n- 10.203.0.100\n", ""), n: 1},
		{desc: "agents are not judged", parent: agentParent, text: hardenedAgent},
		{desc: "drop-in appends names", parent: serverParent, path: dropIn, text: "tls-san+:\n- api.example\n"},
		{desc: "drop-in replaces the list", parent: serverParent, path: dropIn, text: "tls-san:\n- api.example\n", n: 1},
	}, "10.203.0.100")
}

func TestK3sVersionPinned(t *testing.T) {
	const name = "k3s-version-pinned"
	node := func(version any, verify, airgap bool) map[string]any {
		return map[string]any{"node": "dev-server-1", "role": "server", "version": version, "verifyChecksum": verify, "airgap": airgap, "vip": "10.203.0.100"}
	}
	cases := []struct {
		desc string
		r    map[string]any
		n    int
	}{
		{"pinned and verified", node("v1.34.4+k3s1", true, false), 0},
		{"air-gapped", node("v1.34.4+k3s1", false, true), 0},
		{"channel", node("stable", true, false), 1},
		{"minor only", node("v1.34", true, false), 1},
		{"checksum off", node("v1.34.4+k3s1", false, false), 1},
		{"version unknown in preview", node(computed, true, false), 0},
	}
	for _, tc := range cases {
		t.Run(tc.desc, func(t *testing.T) {
			wantReports(t, validate(t, devEnv(), name, res("k3s-onprem:k3s:Server", "dev-server-1", tc.r), nil), tc.n)
		})
	}
	t.Run("get.k3s.io install", func(t *testing.T) {
		r := res("command:remote:Command", "dev-server-1-install", map[string]any{"connection": conn(nil), "create": "curl -sfL https://get.k3s.io | INSTALL_K3S_CHANNEL=stable sh -"})
		wantReports(t, validate(t, devEnv(), name, r, nil), 1, "get.k3s.io")
	})
	t.Run("air-gap checksum in the binary step", func(t *testing.T) {
		step := func(sha string) map[string]any {
			return map[string]any{"connection": conn(nil), "remotePath": "/var/lib/k3s-onprem/steps/k3s-binary/run.sh",
				"source": textAsset(t, "#!/usr/bin/env bash\nAIRGAP='1'\nBINARY_SHA256='"+sha+"'\nVERSION='v1.34.4+k3s1'\n")}
		}
		good := strings.Repeat("ab", 32)
		wantReports(t, validate(t, devEnv(), name, res("command:remote:CopyToRemote", "dev-server-1-k3s-binary-copy-run.sh", step(good)), nil), 0)
		wantReports(t, validate(t, devEnv(), name, res("command:remote:CopyToRemote", "dev-server-1-k3s-binary-copy-run.sh", step("")), nil), 1, "binarySha256")
	})
}
