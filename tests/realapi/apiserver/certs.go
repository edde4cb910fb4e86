package apiserver

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// pki holds the file paths of everything the control plane needs. It mirrors
// the split k3s makes (server CA for serving certs, client CA for client
// certs, a separate request-header CA for the aggregation proxy) so that the
// apiserver gets the same kind of flags k3s gives it.
type pki struct {
	serverCA, clientCA, requestHeaderCA string // CA certificate files

	servingCert, servingKey string // kube-apiserver's TLS serving pair
	kubeletCert, kubeletKey string // kube-apiserver -> kubelet client pair
	proxyCert, proxyKey     string // aggregation proxy client pair
	saKey                   string // service-account key (k3s's service.key)

	// Admin client credentials (O=system:masters) in PEM, for the
	// rest.Config and the kubeconfig.
	serverCAPEM, adminCertPEM, adminKeyPEM []byte
}

// requestHeaderCN is the CN k3s gives its aggregation proxy client cert and
// passes as --requestheader-allowed-names.
const requestHeaderCN = "system:auth-proxy"

type keyPair struct {
	cert *x509.Certificate
	key  crypto.Signer
}

// newPKI generates all certificates and keys in dir with crypto/x509, so the
// harness needs no openssl. ECDSA P-256 keeps generation fast; the service
// account key is RSA like k3s's service.key.
func newPKI(dir string, serviceIP net.IP) (*pki, error) {
	p := &pki{}
	now := time.Now()

	serverCA, err := newCA("k3s-onprem-test-server-ca", now)
	if err != nil {
		return nil, err
	}
	clientCA, err := newCA("k3s-onprem-test-client-ca", now)
	if err != nil {
		return nil, err
	}
	rhCA, err := newCA("k3s-onprem-test-request-header-ca", now)
	if err != nil {
		return nil, err
	}

	serving, err := newLeaf(serverCA, now, pkix.Name{CommonName: "kube-apiserver"}, x509.ExtKeyUsageServerAuth,
		[]string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"},
		[]net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback, serviceIP})
	if err != nil {
		return nil, err
	}
	admin, err := newLeaf(clientCA, now, pkix.Name{CommonName: "system:admin", Organization: []string{"system:masters"}}, x509.ExtKeyUsageClientAuth, nil, nil)
	if err != nil {
		return nil, err
	}
	kubelet, err := newLeaf(clientCA, now, pkix.Name{CommonName: "system:kube-apiserver", Organization: []string{"system:masters"}}, x509.ExtKeyUsageClientAuth, nil, nil)
	if err != nil {
		return nil, err
	}
	proxy, err := newLeaf(rhCA, now, pkix.Name{CommonName: requestHeaderCN}, x509.ExtKeyUsageClientAuth, nil, nil)
	if err != nil {
		return nil, err
	}
	saKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("service account key: %w", err)
	}

	write := func(name string, data []byte) (string, error) {
		path := filepath.Join(dir, name)
		return path, os.WriteFile(path, data, 0o600)
	}
	type out struct {
		dst  *string
		name string
		data []byte
	}
	saPriv, err := keyPEM(saKey)
	if err != nil {
		return nil, err
	}
	files := []out{
		{&p.serverCA, "server-ca.crt", certPEM(serverCA.cert)},
		{&p.clientCA, "client-ca.crt", certPEM(clientCA.cert)},
		{&p.requestHeaderCA, "request-header-ca.crt", certPEM(rhCA.cert)},
		{&p.servingCert, "serving-kube-apiserver.crt", certPEM(serving.cert)},
		{&p.kubeletCert, "client-kube-apiserver.crt", certPEM(kubelet.cert)},
		{&p.proxyCert, "client-auth-proxy.crt", certPEM(proxy.cert)},
		{&p.saKey, "service.key", saPriv},
	}
	for _, kp := range []struct {
		dst  *string
		name string
		k    crypto.Signer
	}{
		{&p.servingKey, "serving-kube-apiserver.key", serving.key},
		{&p.kubeletKey, "client-kube-apiserver.key", kubelet.key},
		{&p.proxyKey, "client-auth-proxy.key", proxy.key},
	} {
		b, err := keyPEM(kp.k)
		if err != nil {
			return nil, err
		}
		files = append(files, out{kp.dst, kp.name, b})
	}
	for _, f := range files {
		if *f.dst, err = write(f.name, f.data); err != nil {
			return nil, err
		}
	}

	p.serverCAPEM = certPEM(serverCA.cert)
	p.adminCertPEM = certPEM(admin.cert)
	if p.adminKeyPEM, err = keyPEM(admin.key); err != nil {
		return nil, err
	}
	return p, nil
}

func newCA(cn string, now time.Time) (*keyPair, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             now.Add(-time.Hour), // tolerate small clock skew
		NotAfter:              now.Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("CA %s: %w", cn, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &keyPair{cert: cert, key: key}, nil
}

func newLeaf(ca *keyPair, now time.Time, subject pkix.Name, usage x509.ExtKeyUsage, dns []string, ips []net.IP) (*keyPair, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      subject,
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  []x509.ExtKeyUsage{usage},
		DNSNames:     dns,
		IPAddresses:  ips,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, key.Public(), ca.key)
	if err != nil {
		return nil, fmt.Errorf("certificate %s: %w", subject.CommonName, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &keyPair{cert: cert, key: key}, nil
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		// crypto/rand does not fail on Linux; a constant would still
		// produce usable (if non-unique) test certificates.
		return big.NewInt(1)
	}
	return n
}

func certPEM(c *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}

func keyPEM(k crypto.Signer) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}
