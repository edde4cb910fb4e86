package stacks

import (
	"fmt"
	"net/netip"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Validation results: errors stop the run before any resource is
// registered; warnings are logged.
type Validation struct {
	Errors   field.ErrorList
	Warnings []string
}

// Validate checks everything a user can get wrong and returns every problem
// at once. Paths are the user's config keys. Call ApplyDefaults first.
func (s *ClusterSpec) Validate() Validation {
	var v Validation
	v.Errors = append(v.Errors, validateNodes(s, field.NewPath("nodes"))...)
	v.Errors = append(v.Errors, validateSSH(s, field.NewPath("ssh"))...)
	v.Errors = append(v.Errors, validateNetwork(s, field.NewPath("network"))...)
	v.Errors = append(v.Errors, validateK3s(s.K3s, field.NewPath("k3s"))...)
	v.Errors = append(v.Errors, validateVIP(s, field.NewPath("vip"))...)
	v.Errors = append(v.Errors, validateLoadBalancer(s, field.NewPath("loadBalancer"))...)
	v.Errors = append(v.Errors, validateIngress(s, field.NewPath("ingress"))...)
	v.Errors = append(v.Errors, validatePodSecurity(s, field.NewPath("podSecurity"))...)
	v.Errors = append(v.Errors, validateFalco(s, field.NewPath("falco"))...)
	v.Errors = append(v.Errors, validateResponder(s, field.NewPath("responder"))...)
	v.Errors = append(v.Errors, validateHardening(s, field.NewPath("hardening"))...)
	v.Errors = append(v.Errors, validateCIS(s, field.NewPath("cis"))...)
	v.Errors = append(v.Errors, validateBackup(s, field.NewPath("backup"))...)
	v.Errors = append(v.Errors, validateRotation(s, field.NewPath("rotation"))...)
	v.Errors = append(v.Errors, validateProd(s)...)
	v.Errors = append(v.Errors, validateStopAfter(s.StopAfter, field.NewPath("stopAfter"))...)
	redact(s, v.Errors)
	if len(s.Servers()) == 1 {
		v.Warnings = append(v.Warnings, "nodes: a single server has no control-plane redundancy; add two more servers for HA (it still starts with embedded etcd so it can grow)")
	}
	return v
}

// Err returns the errors as one error (nil when there are none).
func (v Validation) Err() error {
	if len(v.Errors) == 0 {
		return nil
	}
	msg := fmt.Sprintf("invalid stack configuration (%d problems):", len(v.Errors))
	for _, e := range v.Errors {
		msg += "\n  - " + e.Error()
	}
	return fmt.Errorf("%s", msg)
}

// parseAddr parses an IPv4 address and appends an error naming p.
func parseAddr(s string, p *field.Path, errs *field.ErrorList) (netip.Addr, bool) {
	if s == "" {
		*errs = append(*errs, field.Required(p, "set an IPv4 address"))
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is4() {
		*errs = append(*errs, field.Invalid(p, s, "not an IPv4 address (e.g. 192.168.122.10)"))
		return netip.Addr{}, false
	}
	return a, true
}

// parsePrefix parses a CIDR whose address is the network address.
func parsePrefix(s string, p *field.Path, errs *field.ErrorList) (netip.Prefix, bool) {
	if s == "" {
		*errs = append(*errs, field.Required(p, "set a CIDR such as 10.42.0.0/16"))
		return netip.Prefix{}, false
	}
	pr, err := netip.ParsePrefix(s)
	if err != nil || !pr.Addr().Is4() {
		*errs = append(*errs, field.Invalid(p, s, "not an IPv4 CIDR (e.g. 10.42.0.0/16)"))
		return netip.Prefix{}, false
	}
	if pr.Masked() != pr {
		*errs = append(*errs, field.Invalid(p, s, fmt.Sprintf("host bits set; did you mean %s?", pr.Masked())))
		return netip.Prefix{}, false
	}
	return pr, true
}

// validateStopAfter: empty (every phase) or a phase name.
func validateStopAfter(v string, p *field.Path) field.ErrorList {
	if v == "" {
		return nil
	}
	names := PhaseNames()
	for _, n := range names {
		if v == n {
			return nil
		}
	}
	return field.ErrorList{field.NotSupported(p, v, names)}
}
