package stacks

import (
	"fmt"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"k3s-onprem/components/k3s"
)

// validateRotation: generations are counters (0 = never rotated); the
// secrets-encryption rotation needs a k3s with `secrets-encrypt
// rotate-keys`, the cluster-token rotation one with `token rotate`.
func validateRotation(s *ClusterSpec, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	r := s.Rotation
	for _, c := range []struct {
		key string
		v   int
	}{
		{"secretsEncryption", r.SecretsEncryption}, {"certificates", r.Certificates}, {"vipPassword", r.VIPPassword},
		{"responderToken", r.ResponderToken}, {"responderTls", r.ResponderTLS},
		{"clusterToken", r.ClusterToken}, {"agentToken", r.AgentToken},
	} {
		if c.v < 0 {
			errs = append(errs, field.Invalid(p.Child(c.key), c.v, "a generation counter: 0 or more; raise it by one to rotate"))
		}
	}
	if r.SecretsEncryption > 0 {
		if v, err := ParseK3sVersion(s.K3s.Version); err == nil && !k3s.RotateKeysSupported(v.Minor, v.Patch) {
			errs = append(errs, field.Forbidden(p.Child("secretsEncryption"), fmt.Sprintf(
				"k3s.version %s has no `k3s secrets-encrypt rotate-keys` (from v1.30.5+k3s1 and v1.31.1+k3s1); upgrade k3s.version first, or set it back to its previous value", s.K3s.Version)))
		}
	}
	if r.ClusterToken > 0 {
		if v, err := ParseK3sVersion(s.K3s.Version); err == nil && !k3s.TokenRotateSupported(v.Minor, v.Patch) {
			errs = append(errs, field.Forbidden(p.Child("clusterToken"), fmt.Sprintf(
				"k3s.version %s cannot rotate its server token (`k3s token rotate` from v1.28.3+k3s1); upgrade k3s.version first, or set it back to its previous value", s.K3s.Version)))
		}
	}
	return errs
}
