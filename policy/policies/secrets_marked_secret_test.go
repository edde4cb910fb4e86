package policies

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
)

var _ = casesFor("secrets-marked-secret", func(t *testing.T) []policyCase {
	keepalivedConf := "/var/lib/k3s-onprem/steps/keepalived/root__etc__keepalived__keepalived.conf"
	cases := []struct {
		desc string
		r    func(t *testing.T) policyx.AnalyzerResource
		n    int
		want string
	}{
		{"secret connection", func(*testing.T) policyx.AnalyzerResource {
			return res("command:remote:Command", "c", map[string]any{"connection": conn(nil)})
		}, 0, ""},
		{"plain private key", func(*testing.T) policyx.AnalyzerResource {
			return res("command:remote:Command", "c", map[string]any{"connection": map[string]any{"host": "h", "privateKey": "PEM"}})
		}, 1, "connection.privateKey"},
		{"secret stdin (token step)", func(*testing.T) policyx.AnalyzerResource {
			return res("command:remote:Command", "t", map[string]any{"connection": conn(nil), "stdin": secret("token\nagent\n")})
		}, 0, ""},
		{"plain stdin", func(*testing.T) policyx.AnalyzerResource {
			return res("command:remote:Command", "t", map[string]any{"connection": conn(nil), "stdin": "token\n"})
		}, 1, "stdin"},
		{"stdin unknown in preview", func(*testing.T) policyx.AnalyzerResource {
			return res("command:remote:Command", "t", map[string]any{"connection": conn(nil), "stdin": computed})
		}, 0, ""},
		{"plain kubeconfig on the provider", func(*testing.T) policyx.AnalyzerResource {
			return res("pulumi:providers:kubernetes", "k3s", map[string]any{"kubeconfig": "apiVersion: v1\nkind: Config\n"})
		}, 1, "kubeconfig"},
		{"secret kubeconfig on the provider", func(*testing.T) policyx.AnalyzerResource {
			return res("pulumi:providers:kubernetes", "k3s", map[string]any{"kubeconfig": computedSecret})
		}, 0, ""},
		{"webhook URL in Helm values", func(*testing.T) policyx.AnalyzerResource {
			return res("kubernetes:helm.sh/v3:Release", "falco", map[string]any{"values": map[string]any{
				"falcosidekick": map[string]any{"config": map[string]any{"slack": map[string]any{"webhookurl": "https://hooks.example/T000/B000/XXX"}}}}})
		}, 1, "webhookurl"},
		{"webhook output section with a secret header", func(*testing.T) policyx.AnalyzerResource {
			return res("kubernetes:helm.sh/v3:Release", "sidekick", map[string]any{"values": map[string]any{"config": map[string]any{"webhook": map[string]any{
				"address": "https://10.203.0.11:2801/falco", "customHeaders": secret("Authorization:Bearer t0k3n")}}}})
		}, 0, ""},
		{"webhook output section with a plain API key", func(*testing.T) policyx.AnalyzerResource {
			return res("kubernetes:helm.sh/v3:Release", "sidekick", map[string]any{"values": map[string]any{"config": map[string]any{"webhook": map[string]any{
				"address": "https://hooks.example", "apiKey": "k3y"}}}})
		}, 1, "values.config.webhook.apiKey"},
		{"Kubernetes Secret with plain data", func(*testing.T) policyx.AnalyzerResource {
			return res("kubernetes:core/v1:Secret", "s", map[string]any{"stringData": map[string]any{"token": secret("x"), "url": "https://x"}})
		}, 1, "stringData.url"},
		{"Kubernetes Secret with secret data", func(*testing.T) policyx.AnalyzerResource {
			return res("kubernetes:core/v1:Secret", "s", map[string]any{"data": secret(map[string]any{"token": "eA=="})})
		}, 0, ""},
		{"plain keepalived.conf", func(t *testing.T) policyx.AnalyzerResource {
			return res("command:remote:CopyToRemote", "k", map[string]any{"connection": conn(nil), "remotePath": keepalivedConf, "source": textAsset(t, "auth_pass s3cret\n")})
		}, 1, "keepalived.conf"},
		{"secret keepalived.conf", func(t *testing.T) policyx.AnalyzerResource {
			return res("command:remote:CopyToRemote", "k", map[string]any{"connection": conn(nil), "remotePath": keepalivedConf, "source": textAsset(t, "auth_pass s3cret\n").WithSecret(true)})
		}, 0, ""},
		{"keepalived template filled from stdin", func(t *testing.T) policyx.AnalyzerResource {
			return res("command:remote:CopyToRemote", "k", map[string]any{"connection": conn(nil), "remotePath": keepalivedConf + ".in", "source": textAsset(t, "auth_pass @AUTH_PASS@\n")})
		}, 0, ""},
		{"audit webhook kubeconfig without credentials", func(t *testing.T) policyx.AnalyzerResource {
			return copyFile(t, serverParent, "/var/lib/rancher/k3s/server/audit-webhook.yaml",
				"apiVersion: v1\nkind: Config\nclusters:\n- cluster: {server: 'http://127.0.0.1:9765/k8s-audit'}\n  name: falco\nusers:\n- name: kube-apiserver\n  user: {}\n")
		}, 0, ""},
		{"webhook kubeconfig with a client key", func(t *testing.T) policyx.AnalyzerResource {
			return copyFile(t, serverParent, "/var/lib/rancher/k3s/server/audit-webhook.yaml",
				"apiVersion: v1\nkind: Config\nusers:\n- name: kube-apiserver\n  user: {client-key-data: LS0tLS1CRUdJTi}\n")
		}, 1, "client-key-data"},
		{"plain cluster token file", func(t *testing.T) policyx.AnalyzerResource {
			return copyFile(t, serverParent, "/etc/rancher/k3s/cluster-token", "K10abc::server:def\n")
		}, 1, "cluster-token"},
		{"token in a k3s config file", func(t *testing.T) policyx.AnalyzerResource {
			return copyFile(t, serverParent, k3sConfigPath, hardenedServer+"token: K10abc\n")
		}, 1, "token"},
		{"token-file only", func(t *testing.T) policyx.AnalyzerResource {
			return copyFile(t, serverParent, k3sConfigPath, hardenedServer)
		}, 0, ""},
		{"token in a rendered config input", func(*testing.T) policyx.AnalyzerResource {
			return res("k3s-onprem:k3s:Server", "s", map[string]any{"config": "token: K10abc\n"})
		}, 1, "config: token"},
	}
	var out []policyCase
	for _, tc := range cases {
		c := policyCase{desc: tc.desc, r: tc.r(t), n: tc.n}
		if tc.want != "" {
			c.contains = []string{tc.want, "Pulumi secret"}
		}
		out = append(out, c)
	}
	return out
})

// A credential file is judged by its name; a unit or script named after a
// token (the responder's token refresher) holds none.
func TestSensitiveFile_CredentialsNotTheirHandlers(t *testing.T) {
	for p, want := range map[string]bool{
		"/etc/rancher/k3s/cluster-token":                          true,
		"/etc/rancher/k3s/agent-token":                            true,
		"/run/k3s-onprem-responder/token":                         true,
		"/var/lib/rancher/k3s/server/cred/encryption-config.json": true,
		"/etc/systemd/system/k3s-onprem-responder-token.service":  false,
		"/etc/systemd/system/k3s-onprem-responder-token.timer":    false,
		"/usr/local/lib/k3s-onprem/responder-token.sh":            false,
	} {
		if got := sensitiveFile(p); got != want {
			t.Errorf("sensitiveFile(%s) = %v, want %v", p, got, want)
		}
	}
}
