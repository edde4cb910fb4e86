package stacks

import (
	"k8s.io/apimachinery/pkg/util/validation/field"

	"k3s-onprem/policy/policies"
)

// validateProd holds the production rules (README "Production rules"): a
// prod stack keeps every hardening switch on, runs Falco, pins host keys
// and checks the k3s binary; it may run without the responder only when a
// Falco output tells someone. Prod is decided as the policy pack decides it
// (policies.IsProdStack: stack or environment named prod or production).
func validateProd(s *ClusterSpec) field.ErrorList {
	if !policies.IsProdStack(s.Stack, s.Environment) {
		return nil
	}
	var errs field.ErrorList
	forbid := func(p *field.Path, why string) {
		errs = append(errs, field.Forbidden(p, "production stack: "+why))
	}
	h := field.NewPath("hardening")
	if s.Hardening.Profile != "cis" {
		forbid(h.Child("profile"), "the OS hardening profile stays cis")
	} else {
		for _, sw := range []struct {
			key string
			on  *bool
		}{{"sshd", s.Hardening.SSHD}, {"auditd", s.Hardening.Auditd}, {"moduleBlacklist", s.Hardening.ModuleBlacklist},
			{"sysctls", s.Hardening.Sysctls}, {"coreDumps", s.Hardening.CoreDumps}, {"filePermissions", s.Hardening.FilePermissions}} {
			if !On(sw.on) {
				forbid(h.Child(sw.key), "every hardening part stays on; remove this override")
			}
		}
	}
	if !On(s.Falco.Enabled) {
		forbid(field.NewPath("falco", "enabled"), "runtime detection stays on")
	} else if !On(s.Responder.Enabled) && len(s.Falco.Outputs) == 0 {
		forbid(field.NewPath("responder", "enabled"), "with the responder off a Falco output must alert someone; add falco.outputs or enable the responder")
	}
	if s.SSH.AllowUnpinnedHostKeys {
		forbid(field.NewPath("ssh", "allowUnpinnedHostKeys"), "every host key is pinned")
	}
	if !On(s.K3s.VerifyChecksum) && s.K3s.Airgap == nil {
		forbid(field.NewPath("k3s", "verifyChecksum"), "the downloaded k3s binary is checked against the release's checksums")
	}
	return errs
}
