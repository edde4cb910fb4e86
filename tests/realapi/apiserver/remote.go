package apiserver

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"net"
	"time"
)

// RemotePKI is what a kube-apiserver started on another host (a lab host)
// needs, laid out the way k3s splits it: a server CA for the serving
// certificate, a client CA for client certificates (here kube-proxy's,
// which the program's keepalived check presents), a service-account key.
// Every field is PEM.
type RemotePKI struct {
	ServerCA, ServingCert, ServingKey []byte
	ClientCA                          []byte
	KubeProxyCert, KubeProxyKey       []byte
	// AdminCert and AdminKey are an O=system:masters client pair (what
	// k3s writes into its admin kubeconfig).
	AdminCert, AdminKey []byte
	ServiceAccountKey   []byte
}

// NewRemotePKI generates one PKI shared by several servers (as k3s servers
// share their CAs); the serving certificate is valid for loopback and ips.
func NewRemotePKI(ips []net.IP) (*RemotePKI, error) {
	now := time.Now()
	serverCA, err := newCA("k3s-onprem-lab-server-ca", now)
	if err != nil {
		return nil, err
	}
	clientCA, err := newCA("k3s-onprem-lab-client-ca", now)
	if err != nil {
		return nil, err
	}
	serving, err := newLeaf(serverCA, now, pkix.Name{CommonName: "kube-apiserver"}, x509.ExtKeyUsageServerAuth,
		[]string{"localhost", "kubernetes"}, append([]net.IP{net.IPv4(127, 0, 0, 1)}, ips...))
	if err != nil {
		return nil, err
	}
	// k3s's kube-proxy client identity (no group: only system:authenticated).
	proxy, err := newLeaf(clientCA, now, pkix.Name{CommonName: "system:kube-proxy"}, x509.ExtKeyUsageClientAuth, nil, nil)
	if err != nil {
		return nil, err
	}
	admin, err := newLeaf(clientCA, now, pkix.Name{CommonName: "system:admin", Organization: []string{"system:masters"}}, x509.ExtKeyUsageClientAuth, nil, nil)
	if err != nil {
		return nil, err
	}
	sa, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("service account key: %w", err)
	}
	p := &RemotePKI{ServerCA: certPEM(serverCA.cert), ServingCert: certPEM(serving.cert), ClientCA: certPEM(clientCA.cert), KubeProxyCert: certPEM(proxy.cert), AdminCert: certPEM(admin.cert)}
	if p.ServingKey, err = keyPEM(serving.key); err != nil {
		return nil, err
	}
	if p.KubeProxyKey, err = keyPEM(proxy.key); err != nil {
		return nil, err
	}
	if p.AdminKey, err = keyPEM(admin.key); err != nil {
		return nil, err
	}
	if p.ServiceAccountKey, err = keyPEM(sa); err != nil {
		return nil, err
	}
	return p, nil
}

// NewServingPair generates a CA and a serving certificate signed by it for
// cn and ips (ECDSA P-256), all PEM: what the program gets from pulumi-tls
// for a service of its own, for tests that cannot run that provider.
func NewServingPair(cn string, ips []net.IP) (caCert, cert, key []byte, err error) {
	now := time.Now()
	ca, err := newCA(cn+" CA", now)
	if err != nil {
		return nil, nil, nil, err
	}
	leaf, err := newLeaf(ca, now, pkix.Name{CommonName: cn}, x509.ExtKeyUsageServerAuth, nil, ips)
	if err != nil {
		return nil, nil, nil, err
	}
	if key, err = keyPEM(leaf.key); err != nil {
		return nil, nil, nil, err
	}
	return certPEM(ca.cert), certPEM(leaf.cert), key, nil
}
