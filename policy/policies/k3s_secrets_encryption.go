package policies

import "github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

// k3s-secrets-encryption: without it Secrets sit in etcd (and every etcd
// snapshot) in clear. It must be on from a server's first start; turning it
// on later needs `k3s secrets-encrypt` to re-encrypt what exists.
var _ = register(k3sRule(resourceRule{
	name:  "k3s-secrets-encryption",
	order: 70,
	level: policyx.EnforcementLevelMandatory,
	cis:   "k3s CIS 1.2.27, 1.2.28",
	what:  "every server sets `secrets-encryption: true`",
},
	func(_ *Env, k *k3sConfig) []string {
		if !k.server {
			return nil
		}
		return k.requireTrue("secrets-encryption",
			"Secrets would be stored unencrypted in etcd; the components/k3s renderer sets it on servers, do not override it")
	}))
