package policies

import "testing"

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

var _ = casesFor("k3s-psa-admission", func(t *testing.T) []policyCase {
	const psaPath = "/var/lib/rancher/k3s/server/psa.yaml"
	return append(k3sCases(t, nil,
		k3sCase{desc: "server passes the config", parent: serverParent, text: hardenedServer},
		k3sCase{desc: "server without admission config", parent: serverParent, text: edit(t, hardenedServer, "- admission-control-config-file=/var/lib/rancher/k3s/server/psa.yaml\n", ""), n: 1},
		k3sCase{desc: "server disables PodSecurity", parent: serverParent, text: edit(t, hardenedServer, "kube-apiserver-arg:\n", "kube-apiserver-arg:\n- disable-admission-plugins=PodSecurity\n"), n: 1},
		k3sCase{desc: "restricted, kube-system exempt", path: psaPath, text: psaConfig},
		k3sCase{desc: "baseline default", path: psaPath, text: edit(t, psaConfig, "enforce: restricted", "enforce: baseline"), n: 1},
		k3sCase{desc: "unjustified exemption", path: psaPath, text: edit(t, psaConfig, "namespaces: [kube-system]", "namespaces: [kube-system, metallb-system]"), n: 1},
		k3sCase{desc: "user exemption", path: psaPath, text: edit(t, psaConfig, "namespaces: [kube-system]", "namespaces: [kube-system]\n      usernames: [ops]"), n: 1},
		k3sCase{desc: "no PodSecurity plugin", path: psaPath, text: "apiVersion: apiserver.config.k8s.io/v1\nkind: AdmissionConfiguration\nplugins: []\n", n: 1},
	),
		policyCase{desc: "exemption justified in the stack config",
			env: func(e *Env) {
				*e = EnvFromConfig("dev", func(k string) (string, bool) {
					if k == "k3s-onprem:podSecurity" {
						return `{"exemptNamespaces":[{"namespace":"metallb-system","reason":"the speaker answers ARP on the host network"}]}`, true
					}
					return "", false
				})
			},
			r: copyFile(t, serverParent, psaPath, edit(t, psaConfig, "namespaces: [kube-system]", "namespaces: [kube-system, metallb-system]"))},
		policyCase{desc: "PodSecurityPolicy clusters are not judged",
			env: func(e *Env) { e.PSP = true },
			r:   copyFile(t, serverParent, k3sConfigPath, edit(t, hardenedServer, "- admission-control-config-file=/var/lib/rancher/k3s/server/psa.yaml\n", ""))},
	)
})
