// Package labapi puts a real kube-apiserver and etcd (static builds from
// tests/realapi/build.sh) on a lab host as systemd units, with the files a
// k3s server would have written where the program's steps read them: the
// agent's kube-proxy pair (the keepalived check), the server CA and the
// admin kubeconfig (the responder step). It is not k3s, which cannot be
// obtained here; what it emulates of k3s is listed in README.md.
package labapi

import (
	_ "embed"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"k3s-onprem/components/k3s"
	"k3s-onprem/components/vip"
	"k3s-onprem/tests/lab/labhost"
	"k3s-onprem/tests/realapi/apiserver"
)

// Where the lab's control plane lives on a host.
const (
	BinDir  = "/usr/local/lib/k3s-onprem-lab"
	DataDir = "/var/lib/k3s-onprem-lab/apiserver"
	// ServerCAPath is where k3s keeps its server CA (the responder step
	// embeds it into the responder's kubeconfig).
	ServerCAPath = "/var/lib/rancher/k3s/server/tls/server-ca.crt"
	// APIServerUnit and EtcdUnit are the lab's units.
	APIServerUnit = "lab-kube-apiserver"
	EtcdUnit      = "lab-etcd"
)

// Binaries are the static builds placed on the host. Kubectl is optional:
// the k3s stand-in (K3sStandin) runs it for `k3s kubectl`.
type Binaries struct {
	KubeAPIServer, Etcd, Kubectl string
}

//go:embed k3s-standin.sh
var k3sStandin string

// K3sStandin is the stand-in for the k3s binary (k3s-standin.sh) that
// reports version: the program's own k3s-binary step installs it, in its
// air-gapped mode (checksum and version checked), on a lab host.
func K3sStandin(version string) []byte {
	return []byte(strings.ReplaceAll(k3sStandin, "@K3S_VERSION@", version))
}

// Install places etcd and kube-apiserver with their PKI, the k3s files
// and two units on h; etcd starts now, kube-apiserver with Start.
func Install(lab *labhost.Lab, h *labhost.Host, pki *apiserver.RemotePKI, b Binaries) error {
	bins := map[string]string{"kube-apiserver": b.KubeAPIServer, "etcd": b.Etcd}
	if b.Kubectl != "" {
		bins["kubectl"] = b.Kubectl
	}
	for bin, src := range bins {
		if err := lab.InstallFile(h.Name, BinDir+"/"+bin, src, 0o755); err != nil {
			return err
		}
	}
	files := map[string][]byte{
		vip.AgentCertDir + "/server-ca.crt":         pki.ServerCA,
		vip.AgentCertDir + "/client-kube-proxy.crt": pki.KubeProxyCert,
		vip.AgentCertDir + "/client-kube-proxy.key": pki.KubeProxyKey,
		ServerCAPath:                                        pki.ServerCA,
		k3s.KubeconfigPath:                                  []byte(AdminKubeconfig(pki, "https://127.0.0.1:6443")),
		DataDir + "/serving-kube-apiserver.crt":             pki.ServingCert,
		DataDir + "/serving-kube-apiserver.key":             pki.ServingKey,
		DataDir + "/client-ca.crt":                          pki.ClientCA,
		DataDir + "/service.key":                            pki.ServiceAccountKey,
		DataDir + "/admin.crt":                              pki.AdminCert,
		DataDir + "/admin.key":                              pki.AdminKey,
		"/etc/systemd/system/" + EtcdUnit + ".service":      []byte(etcdUnit),
		"/etc/systemd/system/" + APIServerUnit + ".service": []byte(fmt.Sprintf(apiServerUnit, h.Addr())),
	}
	dirs := []string{vip.AgentCertDir, DataDir, "/var/lib/rancher/k3s/server/tls", "/etc/rancher/k3s"}
	if _, stderr, err := lab.Run(h.Name, "install -d -m 0700 "+strings.Join(dirs, " "), nil); err != nil {
		return fmt.Errorf("%s: %v: %s", h.Name, err, stderr)
	}
	for path, content := range files {
		if err := lab.UploadMode(h.Name, path, content, 0o600); err != nil {
			return err
		}
	}
	if _, stderr, err := lab.Run(h.Name, "systemctl daemon-reload && systemctl start "+EtcdUnit, nil); err != nil {
		return fmt.Errorf("%s: %v: %s", h.Name, err, stderr)
	}
	return nil
}

// Start starts h's kube-apiserver and waits until /readyz answers "ok" to
// the admin identity on the host.
func Start(lab *labhost.Lab, host string, timeout time.Duration) error {
	if _, stderr, err := lab.Run(host, "systemctl start "+APIServerUnit, nil); err != nil {
		return fmt.Errorf("%s: %v: %s", host, err, stderr)
	}
	deadline := time.Now().Add(timeout)
	for {
		out, _, err := lab.Run(host, "curl -fsS --max-time 2 --cacert "+ServerCAPath+" --cert "+DataDir+"/admin.crt --key "+DataDir+"/admin.key https://127.0.0.1:6443/readyz", nil)
		if err == nil && strings.TrimSpace(out) == "ok" {
			return nil
		}
		if time.Now().After(deadline) {
			status, _, _ := lab.Run(host, "systemctl status "+APIServerUnit+" "+EtcdUnit+" --no-pager -n 20", nil)
			return fmt.Errorf("%s: kube-apiserver not ready within %s:\n%s", host, timeout, status)
		}
		time.Sleep(time.Second)
	}
}

// AdminKubeconfig is a kubeconfig for the O=system:masters identity, as
// k3s writes /etc/rancher/k3s/k3s.yaml (certificates embedded).
func AdminKubeconfig(pki *apiserver.RemotePKI, server string) string {
	b64 := base64.StdEncoding.EncodeToString
	return `apiVersion: v1
kind: Config
clusters:
- name: default
  cluster:
    server: ` + server + `
    certificate-authority-data: ` + b64(pki.ServerCA) + `
users:
- name: default
  user:
    client-certificate-data: ` + b64(pki.AdminCert) + `
    client-key-data: ` + b64(pki.AdminKey) + `
contexts:
- name: default
  context:
    cluster: default
    user: default
current-context: default
`
}

// etcdUnit is a single-member etcd on loopback (each lab server has its
// own: the tests need a ready API server per host, not one cluster).
const etcdUnit = `[Unit]
Description=etcd for the lab kube-apiserver
[Service]
ExecStart=` + BinDir + `/etcd --name=lab --data-dir=/var/lib/k3s-onprem-lab/etcd --listen-client-urls=http://127.0.0.1:2379 --advertise-client-urls=http://127.0.0.1:2379 --listen-peer-urls=http://127.0.0.1:2380 --initial-advertise-peer-urls=http://127.0.0.1:2380 --initial-cluster=lab=http://127.0.0.1:2380 --log-level=warn
`

// apiServerUnit serves on every address's :6443 (so the VIP reaches it)
// with k3s's anonymous-auth=false: the check script must authenticate.
const apiServerUnit = `[Unit]
Description=kube-apiserver (lab; k3s cannot run here)
Requires=` + EtcdUnit + `.service
After=` + EtcdUnit + `.service
[Service]
ExecStart=` + BinDir + `/kube-apiserver --etcd-servers=http://127.0.0.1:2379 --bind-address=0.0.0.0 --secure-port=6443 --advertise-address=%s --anonymous-auth=false --authorization-mode=Node,RBAC --tls-cert-file=` + DataDir + `/serving-kube-apiserver.crt --tls-private-key-file=` + DataDir + `/serving-kube-apiserver.key --client-ca-file=` + DataDir + `/client-ca.crt --service-account-issuer=https://kubernetes.default.svc.cluster.local --service-account-key-file=` + DataDir + `/service.key --service-account-signing-key-file=` + DataDir + `/service.key --service-cluster-ip-range=10.43.0.0/16
`
