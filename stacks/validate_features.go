package stacks

import (
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"time"

	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"k3s-onprem/components/ingress"
	"k3s-onprem/internal/grammar"
)

var sha256RE = regexp.MustCompile(`^[0-9a-f]{64}$`)

func validateK3s(k K3s, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if k.Version == "" {
		errs = append(errs, field.Required(p.Child("version"), "a production stack pins its k3s release, so a program upgrade never upgrades the cluster; the newest stable is "+NewestK3s))
	} else if v, err := ParseK3sVersion(k.Version); err != nil {
		errs = append(errs, field.Invalid(p.Child("version"), k.Version, err.Error()+"; channels such as stable or latest are not pinned"))
	} else if v.Major != 1 || v.Minor < MinK3sMinor || v.Minor > MaxK3sMinor {
		errs = append(errs, field.Invalid(p.Child("version"), k.Version, fmt.Sprintf("unsupported; use v1.%d through v1.%d", MinK3sMinor, MaxK3sMinor)))
	}
	if a := k.Airgap; a != nil {
		ap := p.Child("airgap")
		if a.BinaryPath == "" {
			errs = append(errs, field.Required(ap.Child("binaryPath"), "path of the k3s binary on the operator's machine"))
		}
		if !sha256RE.MatchString(a.BinarySHA256) {
			errs = append(errs, field.Invalid(ap.Child("binarySha256"), a.BinarySHA256, "64 lowercase hex digits from the release's sha256sum file"))
		}
		if a.ImagesPath != "" && !sha256RE.MatchString(a.ImagesSHA256) {
			errs = append(errs, field.Invalid(ap.Child("imagesSha256"), a.ImagesSHA256, "imagesPath is set; give its sha256 (64 hex digits)"))
		}
	}
	errs = append(errs, validateUpgradePath(k, p)...)
	errs = append(errs, validateUpgrade(k.Upgrade, p.Child("upgrade"))...)
	if err := grammar.HTTPSURL(k.ReleaseURL); err != nil {
		errs = append(errs, field.Invalid(p.Child("releaseUrl"), k.ReleaseURL, err.Error()+"; e.g. "+DefaultReleaseURL))
	}
	for i, san := range k.ExtraTLSSANs {
		if _, err := netip.ParseAddr(san); err == nil {
			continue
		}
		if msgs := validation.IsDNS1123Subdomain(san); len(msgs) > 0 {
			errs = append(errs, field.Invalid(p.Child("extraTlsSans").Index(i), san, "not an IP address or DNS name"))
		}
	}
	return errs
}

// validateUpgradePath refuses, when k3s.previousVersion says what runs
// now, a downgrade and a skipped minor: k3s (like Kubernetes) upgrades one
// minor at a time and never back.
func validateUpgradePath(k K3s, p *field.Path) field.ErrorList {
	if k.PreviousVersion == "" {
		return nil
	}
	prev, err := ParseK3sVersion(k.PreviousVersion)
	if err != nil {
		return field.ErrorList{field.Invalid(p.Child("previousVersion"), k.PreviousVersion, err.Error()+"; set it to the version the cluster runs now (the k3sVersion stack output)")}
	}
	next, err := ParseK3sVersion(k.Version)
	if err != nil {
		return nil // reported for k3s.version
	}
	if msg := UpgradePathProblem(prev, next); msg != "" {
		return field.ErrorList{field.Forbidden(p.Child("version"), msg)}
	}
	return nil
}

// UpgradePathProblem says why going from prev to next is refused ("" when
// it is allowed): a downgrade, or more than one minor at a time.
func UpgradePathProblem(prev, next K3sVersion) string {
	switch {
	case next.Less(prev):
		return fmt.Sprintf("%s is older than the running %s (k3s.previousVersion); downgrades are not supported: set k3s.version back to %s or newer, or restore an etcd snapshot taken before the upgrade", next.Raw, prev.Raw, prev.Raw)
	case next.Major == prev.Major && next.Minor > prev.Minor+1:
		return fmt.Sprintf("%s skips a minor after the running %s (k3s.previousVersion); k3s upgrades one minor at a time: first set k3s.version to the newest v1.%d.x release, run pulumi up, then go on to v1.%d", next.Raw, prev.Raw, prev.Minor+1, next.Minor)
	}
	return ""
}

// validateUpgrade checks the agent batch size and the drain timeout.
func validateUpgrade(u Upgrade, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	switch {
	case u.AgentBatch != 0 && u.AgentBatchPercent != 0:
		errs = append(errs, field.Invalid(p.Child("agentBatchPercent"), u.AgentBatchPercent, "set either agentBatch (a count) or agentBatchPercent, not both"))
	case u.AgentBatch < 0:
		errs = append(errs, field.Invalid(p.Child("agentBatch"), u.AgentBatch, "at least 1 (agents restarted at once)"))
	case u.AgentBatchPercent < 0 || u.AgentBatchPercent > 100:
		errs = append(errs, field.Invalid(p.Child("agentBatchPercent"), u.AgentBatchPercent, "1-100 (share of the agents restarted at once)"))
	}
	d, err := time.ParseDuration(u.DrainTimeout)
	if err != nil || d < MinDrainTimeout || d > MaxDrainTimeout {
		errs = append(errs, field.Invalid(p.Child("drainTimeout"), u.DrainTimeout, fmt.Sprintf("a duration from %s to %s, such as %s", MinDrainTimeout, MaxDrainTimeout, DefaultDrainTimeout)))
	}
	return errs
}

// Drain timeout bounds: long enough for a graceful pod termination, short
// enough that a blocked drain fails the run instead of hanging it.
const (
	MinDrainTimeout = 30 * time.Second
	MaxDrainTimeout = 2 * time.Hour
)

func validateLoadBalancer(s *ClusterSpec, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	pools := p.Child("pools")
	if On(s.LoadBalancer.Enabled) && len(s.LoadBalancer.Pools) == 0 {
		errs = append(errs, field.Required(pools, "MetalLB is enabled; add an internal pool (and an external one in the two-network layout)"))
	}
	names := map[string]bool{}
	ranges := make([]addrRange, len(s.LoadBalancer.Pools))
	for i, pool := range s.LoadBalancer.Pools {
		pp := pools.Index(i)
		if msgs := validation.IsDNS1123Label(pool.Name); len(msgs) > 0 {
			errs = append(errs, field.Invalid(pp.Child("name"), pool.Name, "must be a DNS label such as external"))
		} else if names[pool.Name] {
			errs = append(errs, field.Duplicate(pp.Child("name"), pool.Name))
		}
		names[pool.Name] = true
		cidrKey := map[string]string{"internal": s.Network.InternalCIDR, "external": s.Network.ExternalCIDR}
		cidr, known := cidrKey[pool.Network]
		if !known {
			errs = append(errs, field.NotSupported(pp.Child("network"), pool.Network, []string{"internal", "external"}))
		}
		r, err := parseRange(pool.Range)
		if err != nil {
			errs = append(errs, field.Invalid(pp.Child("range"), pool.Range, err.Error()))
			continue
		}
		ranges[i] = r
		if known {
			if pr, err := netip.ParsePrefix(cidr); cidr == "" {
				errs = append(errs, field.Required(field.NewPath("network", pool.Network+"Cidr"), fmt.Sprintf("%s is on the %s network; set its subnet", pp, pool.Network)))
			} else if err == nil && (!pr.Contains(r.first) || !pr.Contains(r.last)) {
				errs = append(errs, field.Invalid(pp.Child("range"), pool.Range, fmt.Sprintf("outside network.%sCidr %s", pool.Network, pr)))
			}
		}
		for j, n := range s.Nodes {
			for _, addr := range []string{n.InternalAddress, n.ExternalAddress} {
				if a, err := netip.ParseAddr(addr); err == nil && r.contains(a) {
					errs = append(errs, field.Invalid(pp.Child("range"), pool.Range, fmt.Sprintf("contains nodes[%d] (%s) address %s; shrink the range", j, n.Name, addr)))
				}
			}
		}
		for j := 0; j < i; j++ {
			if ranges[j].first.IsValid() && r.overlaps(ranges[j]) {
				errs = append(errs, field.Invalid(pp.Child("range"), pool.Range, fmt.Sprintf("overlaps loadBalancer.pools[%d] (%s)", j, s.LoadBalancer.Pools[j].Range)))
			}
		}
	}
	return errs
}

func validateIngress(s *ClusterSpec, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	errs = append(errs, validateIngressImplementation(s, p.Child("implementation"))...)
	classes := map[string]string{}
	for _, c := range []struct {
		key string
		ic  IngressController
	}{{"external", s.Ingress.External}, {"internal", s.Ingress.Internal}} {
		if !On(c.ic.Enabled) {
			continue
		}
		cp := p.Child(c.key)
		if msgs := validation.IsDNS1123Subdomain(c.ic.ClassName); len(msgs) > 0 {
			errs = append(errs, field.Invalid(cp.Child("className"), c.ic.ClassName, "must be a DNS name such as nginx"))
		} else if other, dup := classes[c.ic.ClassName]; dup {
			errs = append(errs, field.Duplicate(cp.Child("className"), fmt.Sprintf("%s (also ingress.%s.className)", c.ic.ClassName, other)))
		}
		classes[c.ic.ClassName] = c.key
		if c.ic.Replicas < 1 {
			errs = append(errs, field.Invalid(cp.Child("replicas"), c.ic.Replicas, "at least 1"))
		}
		var pool *Pool
		for i := range s.LoadBalancer.Pools {
			if s.LoadBalancer.Pools[i].Name == c.ic.Pool {
				pool = &s.LoadBalancer.Pools[i]
			}
		}
		if pool == nil {
			errs = append(errs, field.NotFound(cp.Child("pool"), c.ic.Pool))
			continue
		}
		if c.key == "internal" && pool.Network == "external" {
			errs = append(errs, field.Forbidden(cp.Child("pool"), fmt.Sprintf("pool %s is advertised on the external network; the internal ingress would serve internal apps publicly. Use a pool with network: internal", pool.Name)))
		}
		if c.ic.LoadBalancerIP != "" {
			a, ok := parseAddr(c.ic.LoadBalancerIP, cp.Child("loadBalancerIp"), &errs)
			if r, err := parseRange(pool.Range); ok && err == nil && !r.contains(a) {
				errs = append(errs, field.Invalid(cp.Child("loadBalancerIp"), c.ic.LoadBalancerIP, fmt.Sprintf("outside pool %s (%s)", pool.Name, pool.Range)))
			}
		}
	}
	if (On(s.Ingress.External.Enabled) || On(s.Ingress.Internal.Enabled)) && !On(s.LoadBalancer.Enabled) {
		errs = append(errs, field.Forbidden(p, "ingress controllers take their IPs from MetalLB; enable loadBalancer or disable ingress.external/internal"))
	}
	return errs
}

// validateIngressImplementation: a known implementation, and Traefik only
// where it runs (Gateway API needs Kubernetes >= 1.30, no PSP).
func validateIngressImplementation(s *ClusterSpec, p *field.Path) field.ErrorList {
	impl := s.Ingress.Implementation
	if !slices.Contains(ingress.Kinds(), impl) {
		return field.ErrorList{field.NotSupported(p, impl, ingress.Kinds())}
	}
	if impl != ingress.KindTraefik || !(On(s.Ingress.External.Enabled) || On(s.Ingress.Internal.Enabled)) {
		return nil
	}
	v, err := ParseK3sVersion(s.K3s.Version)
	switch {
	case s.PodSecurity.Mode == "psp":
		return field.ErrorList{field.Forbidden(p, fmt.Sprintf("traefik (Gateway API) does not run with podSecurity.mode psp; use ingress-nginx on k3s %s, or k3s >= v1.%d with mode psa", s.K3s.Version, ingress.TraefikMinMinor))}
	case err == nil && v.Minor < ingress.TraefikMinMinor:
		return field.ErrorList{field.Forbidden(p, fmt.Sprintf("traefik needs k3s >= v1.%d (the Gateway API %s standard install uses admissionregistration.k8s.io/v1), k3s.version is %s; raise k3s.version or use ingress-nginx", ingress.TraefikMinMinor, ingress.GatewayAPIVersion, s.K3s.Version))}
	}
	return nil
}

var psaLevels = []string{"privileged", "baseline", "restricted"}

func validatePodSecurity(s *ClusterSpec, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	v, verr := ParseK3sVersion(s.K3s.Version)
	switch s.PodSecurity.Mode {
	case "psp":
		if verr == nil && v.AtLeast(25) {
			errs = append(errs, field.Forbidden(p.Child("mode"), fmt.Sprintf("PodSecurityPolicy was removed in Kubernetes 1.25 and k3s.version is %s; use mode psa", s.K3s.Version)))
		}
	case "psa":
		if verr == nil && !v.AtLeast(25) {
			errs = append(errs, field.Forbidden(p.Child("mode"), fmt.Sprintf("Pod Security Admission is GA from 1.25 and k3s.version is %s; use mode psp", s.K3s.Version)))
		}
	default:
		errs = append(errs, field.NotSupported(p.Child("mode"), s.PodSecurity.Mode, []string{"psa", "psp"}))
	}
	if !contains(psaLevels, s.PodSecurity.Enforce) {
		errs = append(errs, field.NotSupported(p.Child("enforce"), s.PodSecurity.Enforce, psaLevels))
	}
	for i, e := range s.PodSecurity.ExemptNamespaces {
		ep := p.Child("exemptNamespaces").Index(i)
		if msgs := validation.IsDNS1123Label(e.Namespace); len(msgs) > 0 {
			errs = append(errs, field.Invalid(ep.Child("namespace"), e.Namespace, "not a namespace name"))
		}
		if e.Reason == "" {
			errs = append(errs, field.Required(ep.Child("reason"), "say why this namespace needs privileged pods"))
		}
	}
	return errs
}

var (
	falcoOutputTypes = []string{"slack", "teams", "mattermost", "discord", "alertmanager", "webhook"}
	falcoPriorities  = []string{"emergency", "alert", "critical", "error", "warning", "notice", "informational", "debug"}
)

func validateFalco(s *ClusterSpec, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if err := grammar.ReleaseVersion(s.Falco.Version); err != nil {
		errs = append(errs, field.Invalid(p.Child("version"), s.Falco.Version, err.Error()+"; leave it unset for "+DefaultFalcoVersion))
	}
	if !contains([]string{"host", "daemonset"}, s.Falco.Mode) {
		errs = append(errs, field.NotSupported(p.Child("mode"), s.Falco.Mode, []string{"host", "daemonset"}))
	}
	seen := map[string]bool{}
	for i, o := range s.Falco.Outputs {
		op := p.Child("outputs").Index(i)
		if !contains(falcoOutputTypes, o.Type) {
			errs = append(errs, field.NotSupported(op.Child("type"), o.Type, falcoOutputTypes))
		} else if seen[o.Type] {
			errs = append(errs, field.Duplicate(op.Child("type"), o.Type))
		} else if !s.Secrets.FalcoOutputURLs[o.Type] {
			errs = append(errs, field.Required(op, fmt.Sprintf("no URL for %s: pulumi config set --secret --path 'falcoOutputUrls.%s' URL", o.Type, o.Type)))
		}
		seen[o.Type] = true
		if !contains(falcoPriorities, o.MinPriority) {
			errs = append(errs, field.NotSupported(op.Child("minPriority"), o.MinPriority, falcoPriorities))
		}
	}
	return errs
}

func validateResponder(s *ClusterSpec, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if On(s.Responder.Enabled) && !On(s.Falco.Enabled) {
		errs = append(errs, field.Forbidden(p.Child("enabled"), "the responder acts on Falco events; enable falco or disable the responder"))
	}
	if s.Responder.Port < 1024 || s.Responder.Port > 65535 {
		errs = append(errs, field.Invalid(p.Child("port"), s.Responder.Port, "must be 1024-65535"))
	}
	for i, ns := range s.Responder.AllowNamespaces {
		if msgs := validation.IsDNS1123Label(ns); len(msgs) > 0 {
			errs = append(errs, field.Invalid(p.Child("allowNamespaces").Index(i), ns, "not a namespace name"))
		}
	}
	return errs
}

func validateHardening(s *ClusterSpec, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	h := s.Hardening
	if !contains([]string{"cis", "none"}, h.Profile) {
		errs = append(errs, field.NotSupported(p.Child("profile"), h.Profile, []string{"cis", "none"}))
	}
	if !contains([]string{"enforcing", "permissive", "off"}, h.SELinux) {
		errs = append(errs, field.NotSupported(p.Child("selinux"), h.SELinux, []string{"enforcing", "permissive", "off"}))
	}
	if !contains([]string{"no", "prohibit-password"}, h.PermitRootLogin) {
		errs = append(errs, field.NotSupported(p.Child("permitRootLogin"), h.PermitRootLogin, []string{"no", "prohibit-password"}))
	}
	if On(h.SSHD) && h.PermitRootLogin == "no" {
		for i, n := range s.Nodes {
			if n.SSH.User == "root" {
				errs = append(errs, field.Invalid(p.Child("permitRootLogin"), h.PermitRootLogin,
					fmt.Sprintf("nodes[%d] (%s) connects as root and would be locked out; use prohibit-password or a sudo user", i, n.Name)))
				break
			}
		}
	}
	return errs
}

// addrRange is a MetalLB address range, inclusive.
type addrRange struct{ first, last netip.Addr }

// parseRange accepts "a.b.c.d-e.f.g.h" or a CIDR.
func parseRange(s string) (addrRange, error) {
	if pr, err := netip.ParsePrefix(s); err == nil {
		pr = pr.Masked()
		if !pr.Addr().Is4() {
			return addrRange{}, fmt.Errorf("use an IPv4 range")
		}
		b := pr.Addr().As4()
		hostBits := 32 - pr.Bits()
		for i := 3; i >= 0 && hostBits > 0; i-- {
			n := min(hostBits, 8)
			b[i] |= byte(1<<n - 1)
			hostBits -= n
		}
		return addrRange{pr.Addr(), netip.AddrFrom4(b)}, nil
	}
	var a, b string
	for i := 0; i < len(s); i++ {
		if s[i] == '-' {
			a, b = s[:i], s[i+1:]
		}
	}
	first, err1 := netip.ParseAddr(a)
	last, err2 := netip.ParseAddr(b)
	if err1 != nil || err2 != nil || !first.Is4() || !last.Is4() {
		return addrRange{}, fmt.Errorf("use first-last (192.168.1.200-192.168.1.240) or a CIDR")
	}
	if last.Less(first) {
		return addrRange{}, fmt.Errorf("range ends before it starts")
	}
	return addrRange{first, last}, nil
}

func (r addrRange) contains(a netip.Addr) bool {
	return r.first.Compare(a) <= 0 && a.Compare(r.last) <= 0
}

func (r addrRange) overlaps(o addrRange) bool {
	return r.first.Compare(o.last) <= 0 && o.first.Compare(r.last) <= 0
}
