package policies

// k3sSecretsEncryption: without it Secrets sit in etcd (and every etcd
// snapshot) in clear. It must be on from a server's first start; turning it
// on later needs `k3s secrets-encrypt` to re-encrypt what exists.
var k3sSecretsEncryption = k3sRule(
	"k3s-secrets-encryption",
	"k3s CIS 1.2.27, 1.2.28",
	"every server's k3s config sets secrets-encryption: true (k3s-managed key, so rotate-keys keeps working)",
	func(_ *Env, k *k3sConfig) []string {
		if !k.server {
			return nil
		}
		return k.requireTrue("secrets-encryption",
			"Secrets would be stored unencrypted in etcd; the components/k3s renderer sets it on servers, do not override it")
	})
