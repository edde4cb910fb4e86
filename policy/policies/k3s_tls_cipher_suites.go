package policies

import (
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
)

// ecdheSuites are the allowed TLS 1.2 suites: ECDHE key exchange (forward
// secrecy) with AEAD ciphers, the k3s hardening guide's list. Go accepts
// both names of the ChaCha20 suites.
var ecdheSuites = map[string]bool{
	"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256":       true,
	"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256":         true,
	"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384":       true,
	"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384":         true,
	"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305":        true,
	"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305":          true,
	"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256": true,
	"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256":   true,
}

// k3s-tls-cipher-suites: Go's default list still offers RSA key exchange
// (no forward secrecy) and CBC suites; CIS asks for an explicit strong list
// on the API server and every kubelet.
var _ = register(k3sRule(resourceRule{
	name:  "k3s-tls-cipher-suites",
	order: 110,
	level: policyx.EnforcementLevelMandatory,
	cis:   "k3s CIS 1.2.29, 4.2.12",
	what:  "the API server (servers) and every kubelet get `tls-cipher-suites` from the ECDHE+AEAD set, and `tls-min-version` is TLS 1.2 or 1.3",
},
	func(_ *Env, k *k3sConfig) []string {
		var out []string
		comps := []string{"kubelet"}
		if k.server {
			comps = append(comps, "kube-apiserver")
		}
		for _, comp := range comps {
			a := k.args(comp)
			suites, set := a.get("tls-cipher-suites")
			switch {
			case !set && a.full:
				out = append(out, k.where()+" gives "+comp+" no tls-cipher-suites: add "+comp+"-arg tls-cipher-suites with ECDHE suites only (components/k3s TLSCipherSuites)")
			case set:
				for _, s := range strings.Split(suites, ",") {
					if s = strings.TrimSpace(s); !ecdheSuites[s] {
						out = append(out, k.where()+" allows "+s+" on "+comp+": keep tls-cipher-suites to the ECDHE+AEAD suites (no RSA key exchange, no CBC)")
					}
				}
			}
			if v, ok := a.get("tls-min-version"); ok && v != "VersionTLS12" && v != "VersionTLS13" {
				out = append(out, k.where()+" sets "+comp+" tls-min-version="+v+": use VersionTLS12 or VersionTLS13")
			}
		}
		return out
	}))
