package stacks

import (
	"cmp"

	"k3s-onprem/components/ingress"
	"k3s-onprem/components/responder"
	"k3s-onprem/components/vip"
	"k3s-onprem/policy/policies"
)

// Defaults applied by ApplyDefaults; the one place they live. Pulumi.yaml
// documents the same values.
const (
	DefaultSSHUser         = "root"
	DefaultSSHPort         = 22
	DefaultInterface       = "eth0"
	DefaultArch            = "amd64"
	DefaultClusterCIDR     = "10.42.0.0/16"
	DefaultServiceCIDR     = "10.43.0.0/16"
	DefaultVirtualRouterID = 51
	DefaultReleaseURL      = "https://github.com/k3s-io/k3s/releases/download"
	DefaultFalcoVersion    = "0.44.1"
	DefaultResponderPort   = responder.DefaultPort
	DefaultIngressReplicas = 2
	// One agent at a time: the least disruption without a configured batch.
	DefaultAgentBatch   = 1
	DefaultDrainTimeout = "5m"
)

// defaultIngressClass is the external controller's class name per
// ingress.implementation (an IngressClass for ingress-nginx, a
// GatewayClass for traefik); the internal one appends -internal.
var defaultIngressClass = map[string]string{
	ingress.KindIngressNginx: "nginx",
	ingress.KindTraefik:      "traefik",
}

// ApplyDefaults fills every unset field with its default. It does not
// validate; call Validate afterwards.
func (s *ClusterSpec) ApplyDefaults(stack string) {
	s.Stack = stack
	if s.ClusterName == "" {
		s.ClusterName = stack
	}
	// New stacks start on the newest stable k3s. A production stack pins
	// its version (validateK3s), so a newer program never upgrades it.
	if s.K3s.Version == "" && !policies.IsProdStack(s.Stack, s.Environment) {
		s.K3s.Version = NewestK3s
	}
	if s.SSH.User == "" {
		s.SSH.User = DefaultSSHUser
	}
	if s.SSH.Port == 0 {
		s.SSH.Port = DefaultSSHPort
	}
	for i := range s.Nodes {
		n := &s.Nodes[i]
		if n.InternalInterface == "" {
			n.InternalInterface = DefaultInterface
		}
		if n.Arch == "" {
			n.Arch = DefaultArch
		}
		if n.SSH.Host == "" {
			n.SSH.Host = n.InternalAddress
		}
		if n.SSH.User == "" {
			n.SSH.User = s.SSH.User
		}
		if n.SSH.Port == 0 {
			n.SSH.Port = s.SSH.Port
		}
		if n.SSH.Bastion == nil && s.SSH.Bastion != nil {
			b := *s.SSH.Bastion
			n.SSH.Bastion = &b
		}
		if b := n.SSH.Bastion; b != nil {
			if b.Port == 0 {
				b.Port = DefaultSSHPort
			}
			if b.User == "" {
				b.User = n.SSH.User
			}
		}
	}
	if s.Network.ClusterCIDR == "" {
		s.Network.ClusterCIDR = DefaultClusterCIDR
	}
	if s.Network.ServiceCIDR == "" {
		s.Network.ServiceCIDR = DefaultServiceCIDR
	}
	if len(s.Network.PublicPorts) == 0 {
		s.Network.PublicPorts = []int{80, 443}
	}
	if s.K3s.VerifyChecksum == nil {
		s.K3s.VerifyChecksum = boolPtr(true)
	}
	if s.K3s.ReleaseURL == "" {
		s.K3s.ReleaseURL = DefaultReleaseURL
	}
	if s.VIP.Implementation == "" {
		s.VIP.Implementation = vip.ImplKeepalived
	}
	if s.VIP.Implementation == vip.ImplKubeVIP {
		if s.VIP.KubeVIP == nil {
			s.VIP.KubeVIP = &KubeVIPSpec{}
		}
		k := s.VIP.KubeVIP
		k.LeaseDuration = cmp.Or(k.LeaseDuration, vip.DefaultLease.Duration)
		k.RenewDeadline = cmp.Or(k.RenewDeadline, vip.DefaultLease.RenewDeadline)
		k.RetryPeriod = cmp.Or(k.RetryPeriod, vip.DefaultLease.RetryPeriod)
	}
	if s.K3s.Upgrade.AgentBatch == 0 && s.K3s.Upgrade.AgentBatchPercent == 0 {
		s.K3s.Upgrade.AgentBatch = DefaultAgentBatch
	}
	if s.K3s.Upgrade.DrainTimeout == "" {
		s.K3s.Upgrade.DrainTimeout = DefaultDrainTimeout
	}
	if s.VIP.VirtualRouterID == 0 {
		s.VIP.VirtualRouterID = DefaultVirtualRouterID
	}
	if s.VIP.Interface == "" {
		for _, n := range s.Nodes {
			if n.Role == RoleServer {
				s.VIP.Interface = n.InternalInterface
				break
			}
		}
	}
	if s.LoadBalancer.Enabled == nil {
		s.LoadBalancer.Enabled = boolPtr(len(s.LoadBalancer.Pools) > 0)
	}
	if s.Ingress.Implementation == "" {
		s.Ingress.Implementation = ingress.KindIngressNginx
	}
	class := defaultIngressClass[s.Ingress.Implementation]
	if class == "" {
		class = defaultIngressClass[ingress.KindIngressNginx]
	}
	s.Ingress.External.applyDefaults(class, "external", On(s.LoadBalancer.Enabled))
	s.Ingress.Internal.applyDefaults(class+"-internal", "internal", On(s.LoadBalancer.Enabled))
	if s.PodSecurity.Mode == "" {
		s.PodSecurity.Mode = "psa"
		if v, err := ParseK3sVersion(s.K3s.Version); err == nil && v.Minor <= 24 {
			s.PodSecurity.Mode = "psp"
		}
	}
	if s.PodSecurity.Enforce == "" {
		s.PodSecurity.Enforce = "restricted"
	}
	s.CIS.KubeBench.applyDefaults()
	if s.Falco.Enabled == nil {
		s.Falco.Enabled = boolPtr(true)
	}
	if s.Falco.Mode == "" {
		s.Falco.Mode = "host"
	}
	if s.Falco.Version == "" {
		s.Falco.Version = DefaultFalcoVersion
	}
	for i := range s.Falco.Outputs {
		if s.Falco.Outputs[i].MinPriority == "" {
			s.Falco.Outputs[i].MinPriority = "warning"
		}
	}
	if s.Responder.Enabled == nil {
		s.Responder.Enabled = boolPtr(*s.Falco.Enabled)
	}
	if s.Responder.Port == 0 {
		s.Responder.Port = DefaultResponderPort
	}
	s.Hardening.applyDefaults()
	s.applyBackupDefaults()
}

func (c *IngressController) applyDefaults(class, pool string, enabled bool) {
	if c.Enabled == nil {
		c.Enabled = boolPtr(enabled)
	}
	if c.ClassName == "" {
		c.ClassName = class
	}
	if c.Pool == "" {
		c.Pool = pool
	}
	if c.Replicas == 0 {
		c.Replicas = DefaultIngressReplicas
	}
}

func (h *Hardening) applyDefaults() {
	if h.Profile == "" {
		h.Profile = "cis"
	}
	on := h.Profile == "cis"
	for _, p := range []**bool{&h.SSHD, &h.Auditd, &h.ModuleBlacklist, &h.Sysctls, &h.CoreDumps, &h.FilePermissions} {
		if *p == nil {
			*p = boolPtr(on)
		}
	}
	if h.SELinux == "" {
		h.SELinux = "enforcing"
	}
	if h.PermitRootLogin == "" {
		h.PermitRootLogin = "no"
	}
}

func boolPtr(b bool) *bool { return &b }

// On reports whether an optional switch is set (after defaults it always is).
func On(b *bool) bool { return b != nil && *b }

// Servers returns the server nodes in config order; Servers()[0] bootstraps the cluster.
func (s *ClusterSpec) Servers() []Node { return s.byRole(RoleServer) }

// Agents returns the agent nodes in config order.
func (s *ClusterSpec) Agents() []Node { return s.byRole(RoleAgent) }

func (s *ClusterSpec) byRole(role string) []Node {
	var out []Node
	for _, n := range s.Nodes {
		if n.Role == role {
			out = append(out, n)
		}
	}
	return out
}

// TwoNetwork reports whether a node sits on a separate public network.
func (n Node) TwoNetwork() bool {
	return n.ExternalInterface != "" && n.ExternalInterface != n.InternalInterface
}
