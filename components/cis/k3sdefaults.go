package cis

// What k3s itself sets, as far as the benchmarks audit it. These are facts
// about k3s, not settings of this program: the expectation renderer merges
// them under the rendered config.yaml arguments (a config.yaml argument
// replaces k3s's value of the same flag, as k3s's GetArgs does).
//
// Sources (k3s-io/k3s, read with the file index):
//   - kube-apiserver, kube-controller-manager, kube-scheduler: the argument
//     maps of pkg/daemons/control/server.go (apiServer, controllerManager,
//     scheduler; read at 0103601430f9); etcd client flags from
//     setupStorageBackend in the same file, filled for embedded etcd.
//   - kubelet, kube-proxy: pkg/daemons/agent/agent_linux.go
//     (kubeletArgsAndConfig, kubeProxyArgs; read at 00014d2846a2). Newer
//     k3s passes most kubelet settings in a generated config file rather
//     than on the command line kube-bench reads, so only the flags that
//     file shows on the command line are listed; other kubelet flags are
//     not modelled (see unmodelledKubeletFlags).
//   - embedded etcd's config file: the client- and peer-transport-security
//     settings k3s writes for its managed etcd (the paths the k3s
//     benchmarks themselves expect under /var/lib/rancher/k3s/server/tls/etcd).
//   - secrets encryption: k3s writes an aescbc provider by default.

const (
	k3sServerTLS = "/var/lib/rancher/k3s/server/tls"
	k3sCred      = "/var/lib/rancher/k3s/server/cred"
)

// k3sDefaultArgs are the component arguments k3s sets on every server or
// agent ("" value: the flag is set to a path or value the checks only
// need present).
var k3sDefaultArgs = map[string]map[string]string{
	"kube-apiserver": {
		"anonymous-auth":                "false",
		"profiling":                     "false",
		"authorization-mode":            "Node,RBAC",
		"enable-admission-plugins":      "NodeRestriction",
		"client-ca-file":                k3sServerTLS + "/client-ca.crt",
		"tls-cert-file":                 k3sServerTLS + "/serving-kube-apiserver.crt",
		"tls-private-key-file":          k3sServerTLS + "/serving-kube-apiserver.key",
		"kubelet-certificate-authority": k3sServerTLS + "/server-ca.crt",
		"kubelet-client-certificate":    k3sServerTLS + "/client-kube-apiserver.crt",
		"kubelet-client-key":            k3sServerTLS + "/client-kube-apiserver.key",
		"service-account-key-file":      k3sServerTLS + "/service.key",
		"etcd-cafile":                   k3sServerTLS + "/etcd/server-ca.crt",
		"etcd-certfile":                 k3sServerTLS + "/etcd/client.crt",
		"etcd-keyfile":                  k3sServerTLS + "/etcd/client.key",
	},
	"kube-controller-manager": {
		"profiling":                        "false",
		"use-service-account-credentials":  "true",
		"service-account-private-key-file": k3sServerTLS + "/service.key",
		"root-ca-file":                     k3sServerTLS + "/server-ca.crt",
		"bind-address":                     "127.0.0.1",
	},
	"kube-scheduler": {
		"profiling":    "false",
		"bind-address": "127.0.0.1",
	},
	"kubelet": {
		"read-only-port": "0",
	},
	"kube-proxy": {
		"healthz-bind-address": "127.0.0.1",
	},
}

// k3sEncryptionConfigPath is where k3s keeps the encryption provider
// config when secrets-encryption is on, and its default provider.
const (
	k3sEncryptionConfigPath = k3sCred + "/encryption-config.json"
	k3sEncryptionProvider   = "aescbc"
)

// k3sEtcdConfig is embedded etcd's config file as the etcd checks read
// it (JSONPath without braces -> value).
var k3sEtcdConfig = map[string]string{
	"client-transport-security.cert-file":        k3sServerTLS + "/etcd/server-client.crt",
	"client-transport-security.key-file":         k3sServerTLS + "/etcd/server-client.key",
	"client-transport-security.client-cert-auth": "true",
	"client-transport-security.trusted-ca-file":  k3sServerTLS + "/etcd/server-ca.crt",
	"peer-transport-security.cert-file":          k3sServerTLS + "/etcd/peer-server-client.crt",
	"peer-transport-security.key-file":           k3sServerTLS + "/etcd/peer-server-client.key",
	"peer-transport-security.client-cert-auth":   "true",
	"peer-transport-security.trusted-ca-file":    k3sServerTLS + "/etcd/peer-ca.crt",
}

// unmodelledKubeletFlags are kubelet settings whose place (command line or
// k3s's generated kubelet config) changed across k3s releases; a check of
// one of them is left for the node's own result.
var unmodelledKubeletFlags = map[string]bool{
	"--anonymous-auth": true, "--authorization-mode": true, "--client-ca-file": true,
	"--tls-cert-file": true, "--tls-private-key-file": true, "--protect-kernel-defaults": true,
	"--hostname-override": true, "--make-iptables-util-chains": true,
}

// benchVariables are the kube-bench variables the k3s benchmarks' file
// checks stat, resolved as cfg/config.yaml and cfg/k3s-cis-*/config.yaml
// (v0.15.6) set them for k3s.
var benchVariables = map[string]string{
	"$etcddatadir":                 "/var/lib/rancher/k3s/server/db/etcd",
	"$schedulerkubeconfig":         k3sCred + "/scheduler.kubeconfig",
	"$controllermanagerkubeconfig": k3sCred + "/controller.kubeconfig",
	"$kubeletkubeconfig":           "/var/lib/rancher/k3s/agent/kubelet.kubeconfig",
	"$kubeletcafile":               "/var/lib/rancher/k3s/agent/client-ca.crt",
	"$proxykubeconfig":             "/var/lib/rancher/k3s/agent/kubeproxy.kubeconfig",
	"$kubeletconf":                 "/var/lib/rancher/k3s/agent/kubelet.kubeconfig",
}
