package main

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1" //nolint:gosec // subject key id, as RFC 5280 method 1
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"golang.org/x/crypto/ssh"

	"k3s-onprem/tests/engine/plugins/internal/testprovider"
)

// replaceAll: every argument is RequiresReplace in terraform-provider-tls
// (a new key or certificate is a new resource).
type replaceAll struct{}

func (replaceAll) ReplaceKeys() map[string]bool {
	return map[string]bool{"algorithm": true, "ecdsaCurve": true, "rsaBits": true, "privateKeyPem": true,
		"subject": true, "ipAddresses": true, "dnsNames": true, "uris": true, "isCaCertificate": true,
		"validityPeriodHours": true, "earlyRenewalHours": true, "allowedUses": true, "certRequestPem": true,
		"caPrivateKeyPem": true, "caCertPem": true, "setSubjectKeyId": true, "setAuthorityKeyId": true, "maxPathLength": true}
}

func (replaceAll) Check(news resource.PropertyMap) (resource.PropertyMap, []*pulumirpc.CheckFailure) {
	return news, nil
}

func (replaceAll) Update(_ context.Context, _ testprovider.Op, _ string, old, _ resource.PropertyMap) (resource.PropertyMap, error) {
	return old, nil
}

func (replaceAll) Delete(context.Context, testprovider.Op, string, resource.PropertyMap) error {
	return nil
}

func computed(out resource.PropertyMap, keys ...string) resource.PropertyMap {
	for _, k := range keys {
		out[resource.PropertyKey(k)] = resource.MakeComputed(resource.NewProperty(""))
	}
	return out
}

func secret(s string) resource.PropertyValue { return resource.MakeSecret(resource.NewProperty(s)) }

// privateKey is tls:index/privateKey:PrivateKey.
type privateKey struct{ replaceAll }

func (privateKey) Create(_ context.Context, op testprovider.Op, in resource.PropertyMap) (string, resource.PropertyMap, error) {
	out := testprovider.Copy(in)
	alg, _ := testprovider.Str(in, "algorithm")
	curve, ok := testprovider.Str(in, "ecdsaCurve")
	if !ok {
		curve = "P224"
	}
	out["ecdsaCurve"] = resource.NewProperty(curve)
	out["rsaBits"] = resource.NewProperty(testprovider.Num(in, "rsaBits", 2048))
	if op.Preview {
		return "", computed(out, "privateKeyPem", "privateKeyPemPkcs8", "privateKeyOpenssh", "publicKeyPem", "publicKeyOpenssh",
			"publicKeyFingerprintMd5", "publicKeyFingerprintSha256"), nil
	}
	var key crypto.Signer
	var err error
	var pemType string
	var der []byte
	switch alg {
	case "ECDSA":
		c := map[string]elliptic.Curve{"P224": elliptic.P224(), "P256": elliptic.P256(), "P384": elliptic.P384(), "P521": elliptic.P521()}[curve]
		if c == nil {
			return "", nil, fmt.Errorf("ecdsaCurve %q is not one of P224, P256, P384, P521", curve)
		}
		var k *ecdsa.PrivateKey
		if k, err = ecdsa.GenerateKey(c, rand.Reader); err == nil {
			key, pemType = k, "EC PRIVATE KEY"
			der, err = x509.MarshalECPrivateKey(k)
		}
	case "RSA":
		var k *rsa.PrivateKey
		if k, err = rsa.GenerateKey(rand.Reader, int(testprovider.Num(in, "rsaBits", 2048))); err == nil {
			key, pemType, der = k, "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(k)
		}
	case "ED25519":
		var k ed25519.PrivateKey
		if _, k, err = ed25519.GenerateKey(rand.Reader); err == nil {
			key, pemType = k, "PRIVATE KEY"
			der, err = x509.MarshalPKCS8PrivateKey(k)
		}
	default:
		return "", nil, fmt.Errorf("algorithm %q is not one of RSA, ECDSA, ED25519", alg)
	}
	if err != nil {
		return "", nil, err
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return "", nil, err
	}
	pubDER, err := x509.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		return "", nil, err
	}
	out["privateKeyPem"] = secret(string(pem.EncodeToMemory(&pem.Block{Type: pemType, Bytes: der})))
	out["privateKeyPemPkcs8"] = secret(string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8})))
	out["publicKeyPem"] = resource.NewProperty(string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})))
	if sshPub, err := ssh.NewPublicKey(key.Public()); err == nil {
		out["publicKeyOpenssh"] = resource.NewProperty(string(ssh.MarshalAuthorizedKey(sshPub)))
		out["publicKeyFingerprintSha256"] = resource.NewProperty(ssh.FingerprintSHA256(sshPub))
		out["publicKeyFingerprintMd5"] = resource.NewProperty(ssh.FingerprintLegacyMD5(sshPub))
		if blk, err := ssh.MarshalPrivateKey(key, ""); err == nil {
			out["privateKeyOpenssh"] = secret(string(pem.EncodeToMemory(blk)))
		}
	} else {
		// P224 has no OpenSSH encoding: these stay empty.
		for _, k := range []string{"publicKeyOpenssh", "publicKeyFingerprintSha256", "publicKeyFingerprintMd5"} {
			out[resource.PropertyKey(k)] = resource.NewProperty("")
		}
		out["privateKeyOpenssh"] = secret("")
	}
	// The id is not read by the program: a digest of the public key.
	sum := sha1.Sum(pubDER) //nolint:gosec // an identifier, not a signature
	return fmt.Sprintf("%x", sum), out, nil
}

func parseKey(m resource.PropertyMap, field string) (crypto.Signer, error) {
	s, _ := testprovider.Str(m, field)
	b, _ := pem.Decode([]byte(s))
	if b == nil {
		return nil, fmt.Errorf("%s: no PEM block", field)
	}
	var k any
	var err error
	switch b.Type {
	case "EC PRIVATE KEY":
		k, err = x509.ParseECPrivateKey(b.Bytes)
	case "RSA PRIVATE KEY":
		k, err = x509.ParsePKCS1PrivateKey(b.Bytes)
	default:
		k, err = x509.ParsePKCS8PrivateKey(b.Bytes)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", field, err)
	}
	signer, ok := k.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("%s: not a signing key", field)
	}
	return signer, nil
}

func keyAlgorithm(k crypto.Signer) string {
	switch k.(type) {
	case *ecdsa.PrivateKey:
		return "ECDSA"
	case *rsa.PrivateKey:
		return "RSA"
	}
	return "ED25519"
}

func subjectOf(m resource.PropertyMap) pkix.Name {
	v, ok := m["subject"]
	if !ok {
		return pkix.Name{}
	}
	s := testprovider.Plain(resource.PropertyMap{"s": v})["s"]
	if !s.IsObject() {
		return pkix.Name{}
	}
	o := s.ObjectValue()
	n := pkix.Name{}
	n.CommonName, _ = testprovider.Str(o, "commonName")
	for field, dst := range map[string]*[]string{"organization": &n.Organization, "organizationalUnit": &n.OrganizationalUnit,
		"country": &n.Country, "province": &n.Province, "locality": &n.Locality, "streetAddresses": &n.StreetAddress, "postalCode": &n.PostalCode} {
		if v, ok := testprovider.Str(o, field); ok {
			*dst = []string{v}
		} else if l, err := testprovider.Strings(o, field); err == nil && l != nil {
			*dst = l
		}
	}
	if v, ok := testprovider.Str(o, "serialNumber"); ok {
		n.SerialNumber = v
	}
	return n
}

func ipsOf(m resource.PropertyMap) ([]net.IP, error) {
	l, err := testprovider.Strings(m, "ipAddresses")
	if err != nil {
		return nil, err
	}
	var ips []net.IP
	for _, s := range l {
		ip := net.ParseIP(s)
		if ip == nil {
			return nil, fmt.Errorf("ipAddresses: %q is not an IP address", s)
		}
		ips = append(ips, ip)
	}
	return ips, nil
}

// Key usages named as terraform-provider-tls's allowed_uses.
var keyUsages = map[string]x509.KeyUsage{
	"digital_signature": x509.KeyUsageDigitalSignature, "content_commitment": x509.KeyUsageContentCommitment,
	"key_encipherment": x509.KeyUsageKeyEncipherment, "data_encipherment": x509.KeyUsageDataEncipherment,
	"key_agreement": x509.KeyUsageKeyAgreement, "cert_signing": x509.KeyUsageCertSign, "crl_signing": x509.KeyUsageCRLSign,
	"encipher_only": x509.KeyUsageEncipherOnly, "decipher_only": x509.KeyUsageDecipherOnly,
}

var extKeyUsages = map[string]x509.ExtKeyUsage{
	"any_extended": x509.ExtKeyUsageAny, "server_auth": x509.ExtKeyUsageServerAuth, "client_auth": x509.ExtKeyUsageClientAuth,
	"code_signing": x509.ExtKeyUsageCodeSigning, "email_protection": x509.ExtKeyUsageEmailProtection,
	"ipsec_end_system": x509.ExtKeyUsageIPSECEndSystem, "ipsec_tunnel": x509.ExtKeyUsageIPSECTunnel,
	"ipsec_user": x509.ExtKeyUsageIPSECUser, "timestamping": x509.ExtKeyUsageTimeStamping,
	"ocsp_signing": x509.ExtKeyUsageOCSPSigning,
}

// template is the certificate part shared by self-signed and CA-signed
// certificates: validity, uses, CA flag.
func template(in resource.PropertyMap, out resource.PropertyMap) (*x509.Certificate, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, err
	}
	now := time.Now().UTC()
	hours := testprovider.Num(in, "validityPeriodHours", 0)
	t := &x509.Certificate{
		SerialNumber:          serial,
		NotBefore:             now,
		NotAfter:              now.Add(time.Duration(hours) * time.Hour),
		BasicConstraintsValid: true,
		IsCA:                  testprovider.Bool(in, "isCaCertificate", false),
	}
	uses, err := testprovider.Strings(in, "allowedUses")
	if err != nil {
		return nil, err
	}
	for _, u := range uses {
		if ku, ok := keyUsages[u]; ok {
			t.KeyUsage |= ku
		} else if eku, ok := extKeyUsages[u]; ok {
			t.ExtKeyUsage = append(t.ExtKeyUsage, eku)
		} else {
			return nil, fmt.Errorf("allowedUses: %q is not a known use", u)
		}
	}
	out["validityStartTime"] = resource.NewProperty(t.NotBefore.Format(time.RFC3339))
	out["validityEndTime"] = resource.NewProperty(t.NotAfter.Format(time.RFC3339))
	out["readyForRenewal"] = resource.NewProperty(false)
	out["earlyRenewalHours"] = resource.NewProperty(testprovider.Num(in, "earlyRenewalHours", 0))
	out["isCaCertificate"] = resource.NewProperty(t.IsCA)
	return t, nil
}

func subjectKeyID(pub crypto.PublicKey) []byte {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil
	}
	sum := sha1.Sum(der) //nolint:gosec // RFC 5280 key identifier
	return sum[:]
}

func certPEM(der []byte) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

// selfSignedCert is tls:index/selfSignedCert:SelfSignedCert.
type selfSignedCert struct{ replaceAll }

func (selfSignedCert) Create(_ context.Context, op testprovider.Op, in resource.PropertyMap) (string, resource.PropertyMap, error) {
	out := testprovider.Copy(in)
	if v, ok := out["privateKeyPem"]; ok {
		out["privateKeyPem"] = testprovider.Secret(v)
	}
	if op.Preview {
		return "", computed(out, "certPem", "validityStartTime", "validityEndTime", "readyForRenewal", "keyAlgorithm"), nil
	}
	key, err := parseKey(in, "privateKeyPem")
	if err != nil {
		return "", nil, err
	}
	t, err := template(in, out)
	if err != nil {
		return "", nil, err
	}
	t.Subject = subjectOf(in)
	if t.IPAddresses, err = ipsOf(in); err != nil {
		return "", nil, err
	}
	if t.DNSNames, err = testprovider.Strings(in, "dnsNames"); err != nil {
		return "", nil, err
	}
	t.SubjectKeyId = subjectKeyID(key.Public())
	der, err := x509.CreateCertificate(rand.Reader, t, t, key.Public(), key)
	if err != nil {
		return "", nil, err
	}
	out["certPem"] = resource.NewProperty(certPEM(der))
	out["keyAlgorithm"] = resource.NewProperty(keyAlgorithm(key))
	// The id is not read by the program: the serial number.
	return t.SerialNumber.String(), out, nil
}

// certRequest is tls:index/certRequest:CertRequest.
type certRequest struct{ replaceAll }

func (certRequest) Create(_ context.Context, op testprovider.Op, in resource.PropertyMap) (string, resource.PropertyMap, error) {
	out := testprovider.Copy(in)
	if v, ok := out["privateKeyPem"]; ok {
		out["privateKeyPem"] = testprovider.Secret(v)
	}
	if op.Preview {
		return "", computed(out, "certRequestPem", "keyAlgorithm"), nil
	}
	key, err := parseKey(in, "privateKeyPem")
	if err != nil {
		return "", nil, err
	}
	req := &x509.CertificateRequest{Subject: subjectOf(in)}
	if req.IPAddresses, err = ipsOf(in); err != nil {
		return "", nil, err
	}
	if req.DNSNames, err = testprovider.Strings(in, "dnsNames"); err != nil {
		return "", nil, err
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, req, key)
	if err != nil {
		return "", nil, err
	}
	p := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}))
	out["certRequestPem"] = resource.NewProperty(p)
	out["keyAlgorithm"] = resource.NewProperty(keyAlgorithm(key))
	sum := sha1.Sum(der) //nolint:gosec // an identifier
	return fmt.Sprintf("%x", sum), out, nil
}

// locallySignedCert is tls:index/locallySignedCert:LocallySignedCert: the
// request's subject, public key and SANs, signed by the CA.
type locallySignedCert struct{ replaceAll }

func (locallySignedCert) Create(_ context.Context, op testprovider.Op, in resource.PropertyMap) (string, resource.PropertyMap, error) {
	out := testprovider.Copy(in)
	if v, ok := out["caPrivateKeyPem"]; ok {
		out["caPrivateKeyPem"] = testprovider.Secret(v)
	}
	if op.Preview {
		return "", computed(out, "certPem", "validityStartTime", "validityEndTime", "readyForRenewal", "caKeyAlgorithm"), nil
	}
	caKey, err := parseKey(in, "caPrivateKeyPem")
	if err != nil {
		return "", nil, err
	}
	caPEM, _ := testprovider.Str(in, "caCertPem")
	cb, _ := pem.Decode([]byte(caPEM))
	if cb == nil {
		return "", nil, fmt.Errorf("caCertPem: no PEM block")
	}
	ca, err := x509.ParseCertificate(cb.Bytes)
	if err != nil {
		return "", nil, fmt.Errorf("caCertPem: %w", err)
	}
	reqPEM, _ := testprovider.Str(in, "certRequestPem")
	rb, _ := pem.Decode([]byte(reqPEM))
	if rb == nil {
		return "", nil, fmt.Errorf("certRequestPem: no PEM block")
	}
	req, err := x509.ParseCertificateRequest(rb.Bytes)
	if err != nil {
		return "", nil, fmt.Errorf("certRequestPem: %w", err)
	}
	if err := req.CheckSignature(); err != nil {
		return "", nil, fmt.Errorf("certRequestPem: %w", err)
	}
	t, err := template(in, out)
	if err != nil {
		return "", nil, err
	}
	t.Subject, t.IPAddresses, t.DNSNames, t.URIs = req.Subject, req.IPAddresses, req.DNSNames, req.URIs
	t.SubjectKeyId = subjectKeyID(req.PublicKey)
	t.AuthorityKeyId = ca.SubjectKeyId
	der, err := x509.CreateCertificate(rand.Reader, t, ca, req.PublicKey, caKey)
	if err != nil {
		return "", nil, err
	}
	out["certPem"] = resource.NewProperty(certPEM(der))
	out["caKeyAlgorithm"] = resource.NewProperty(keyAlgorithm(caKey))
	return t.SerialNumber.String(), out, nil
}
