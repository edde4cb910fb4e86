// Command pulumi-resource-tls is the engine tier's test stand-in for the
// pulumi-tls provider v5.5.1 (bridged terraform-provider-tls; its provider
// module is not served here): PrivateKey (ECDSA, RSA, ED25519),
// SelfSignedCert, CertRequest and LocallySignedCert with the outputs this
// program reads, secret as the SDK marks them. See tests/engine/README.md.
// Tests only.
package main

import (
	"k3s-onprem/tests/engine/plugins/internal/testprovider"
)

func main() {
	testprovider.Main(&testprovider.Provider{
		Name:    "tls",
		Version: "5.5.1",
		Types: map[string]testprovider.Type{
			"tls:index/privateKey:PrivateKey":               privateKey{},
			"tls:index/selfSignedCert:SelfSignedCert":       selfSignedCert{},
			"tls:index/certRequest:CertRequest":             certRequest{},
			"tls:index/locallySignedCert:LocallySignedCert": locallySignedCert{},
		},
	})
}
