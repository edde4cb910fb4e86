package responder

import (
	"github.com/pulumi/pulumi-tls/sdk/v5/go/tls"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

type tlsOutputs struct {
	caPEM, certPEM, keyPEM pulumi.StringOutput
}

// Certificate lifetimes. The CA outlives many leaf rotations; the leaf is
// renewed by a `pulumi up` within its last 30 days (EarlyRenewalHours).
const (
	caValidityHours   = 10 * 365 * 24
	leafValidityHours = 365 * 24
	leafEarlyRenewal  = 30 * 24
)

// newTLS makes the responder's own CA and a server certificate whose SANs
// cover the VIP (what falcosidekick dials), every server address (direct
// checks, failover) and loopback (the step's health check).
func newTLS(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*tlsOutputs, error) {
	caKey, err := tls.NewPrivateKey(ctx, name+"-ca-key", &tls.PrivateKeyArgs{
		Algorithm: pulumi.String("ECDSA"), EcdsaCurve: pulumi.String("P256"),
	}, opts...)
	if err != nil {
		return nil, err
	}
	ca, err := tls.NewSelfSignedCert(ctx, name+"-ca", &tls.SelfSignedCertArgs{
		PrivateKeyPem:       caKey.PrivateKeyPem,
		IsCaCertificate:     pulumi.Bool(true),
		ValidityPeriodHours: pulumi.Int(caValidityHours),
		AllowedUses:         pulumi.ToStringArray([]string{"cert_signing", "crl_signing", "digital_signature"}),
		Subject:             &tls.SelfSignedCertSubjectArgs{CommonName: pulumi.String("k3s-onprem responder CA"), Organization: pulumi.String("k3s-onprem")},
	}, opts...)
	if err != nil {
		return nil, err
	}
	// A raised rotation generation replaces the serving key, and with it
	// the CSR and the certificate; the CA stays, so clients keep trusting.
	keyOpts := opts
	if args.Rotation.TLS > 0 {
		keyOpts = append(append([]pulumi.ResourceOption{}, opts...), pulumi.ReplacementTrigger(pulumi.Int(args.Rotation.TLS)))
	}
	key, err := tls.NewPrivateKey(ctx, name+"-key", &tls.PrivateKeyArgs{
		Algorithm: pulumi.String("ECDSA"), EcdsaCurve: pulumi.String("P256"),
	}, keyOpts...)
	if err != nil {
		return nil, err
	}
	csr, err := tls.NewCertRequest(ctx, name+"-csr", &tls.CertRequestArgs{
		PrivateKeyPem: key.PrivateKeyPem,
		IpAddresses:   pulumi.ToStringArray(SANs(args)),
		Subject:       &tls.CertRequestSubjectArgs{CommonName: pulumi.String("k3s-onprem-responder"), Organization: pulumi.String("k3s-onprem")},
	}, opts...)
	if err != nil {
		return nil, err
	}
	cert, err := tls.NewLocallySignedCert(ctx, name+"-cert", &tls.LocallySignedCertArgs{
		CertRequestPem:      csr.CertRequestPem,
		CaPrivateKeyPem:     caKey.PrivateKeyPem,
		CaCertPem:           ca.CertPem,
		ValidityPeriodHours: pulumi.Int(leafValidityHours),
		EarlyRenewalHours:   pulumi.Int(leafEarlyRenewal),
		AllowedUses:         pulumi.ToStringArray([]string{"digital_signature", "key_encipherment", "server_auth"}),
	}, opts...)
	if err != nil {
		return nil, err
	}
	return &tlsOutputs{caPEM: ca.CertPem, certPEM: cert.CertPem, keyPEM: key.PrivateKeyPem}, nil
}

// SANs are the certificate's IP addresses: the VIP, each server, loopback.
func SANs(args *Args) []string {
	seen := map[string]bool{}
	var out []string
	for _, ip := range append([]string{args.VIP}, serverAddresses(args)...) {
		if ip != "" && !seen[ip] {
			seen[ip] = true
			out = append(out, ip)
		}
	}
	return append(out, "127.0.0.1")
}

func serverAddresses(args *Args) []string {
	var out []string
	for _, s := range args.Servers {
		out = append(out, s.Address)
	}
	return out
}
