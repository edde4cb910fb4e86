package stacks

import (
	"fmt"
	"net/netip"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"k3s-onprem/components/vip"
	"k3s-onprem/internal/grammar"
)

func validateNetwork(s *ClusterSpec, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	type named struct {
		key    string
		prefix netip.Prefix
	}
	var nets []named
	add := func(key, value string, required bool) {
		if value == "" && !required {
			return
		}
		if pr, ok := parsePrefix(value, p.Child(key), &errs); ok {
			nets = append(nets, named{key, pr})
		}
	}
	add("internalCidr", s.Network.InternalCIDR, true)
	add("externalCidr", s.Network.ExternalCIDR, false)
	add("clusterCidr", s.Network.ClusterCIDR, true)
	add("serviceCidr", s.Network.ServiceCIDR, true)
	for i := range nets {
		for j := i + 1; j < len(nets); j++ {
			if nets[i].prefix.Overlaps(nets[j].prefix) {
				errs = append(errs, field.Invalid(p.Child(nets[j].key), nets[j].prefix.String(),
					fmt.Sprintf("overlaps network.%s %s; pick a disjoint range", nets[i].key, nets[i].prefix)))
			}
		}
	}
	for i, port := range s.Network.PublicPorts {
		if port < 1 || port > 65535 {
			errs = append(errs, field.Invalid(p.Child("publicPorts").Index(i), port, "must be 1-65535"))
		}
		if port == 22 {
			errs = append(errs, field.Forbidden(p.Child("publicPorts").Index(i), "SSH stays on the internal network; remove 22 from the public zone"))
		} else if what, internal := clusterOnlyPorts[port]; internal {
			errs = append(errs, field.Forbidden(p.Child("publicPorts").Index(i), fmt.Sprintf("%d is the %s and stays on the internal network; remove it%s", port, what, map[bool]string{true: " and use network.apiOnPublic: true to publish the API", false: ""}[port == 6443])))
		}
	}
	if s.Network.FirewallBackendIptables && !s.Hardening.AllowReboot {
		errs = append(errs, field.Forbidden(p.Child("firewallBackendIptables"), "switching the firewalld backend needs a reboot; also set hardening.allowReboot: true"))
	}
	return errs
}

// clusterOnlyPorts are the ports of the internal zone that must never be
// opened on the public one (components/host clusterPorts/serverPorts): a
// publicPorts entry would bypass apiOnPublic: false or expose etcd and the
// kubelet to the public network.
var clusterOnlyPorts = map[int]string{
	6443: "Kubernetes API", 2379: "etcd client port", 2380: "etcd peer port",
	7946: "MetalLB memberlist port", 8472: "flannel VXLAN port", 9099: "CNI health port",
	10250: "kubelet API", 10251: "kube-scheduler port", 10252: "kube-controller-manager port",
	10253: "kubelet port range", 10254: "ingress-nginx health port", 10255: "kubelet read-only port",
}

func validateVIP(s *ClusterSpec, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	a, ok := parseAddr(s.VIP.Address, p.Child("address"), &errs)
	if ok {
		if internal, err := netip.ParsePrefix(s.Network.InternalCIDR); err == nil && !internal.Contains(a) {
			errs = append(errs, field.Invalid(p.Child("address"), s.VIP.Address, "outside network.internalCidr "+internal.String()+"; the VIP must be on the servers' internal network"))
		} else if msg := reservedAddr(internal, a); msg != "" {
			errs = append(errs, field.Invalid(p.Child("address"), s.VIP.Address, msg+" of network.internalCidr; pick a free host address"))
		}
		for i, n := range s.Nodes {
			if n.InternalAddress == s.VIP.Address || n.ExternalAddress == s.VIP.Address {
				errs = append(errs, field.Invalid(p.Child("address"), s.VIP.Address, fmt.Sprintf("equals nodes[%d] (%s)'s address; pick a free address", i, n.Name)))
			}
		}
		for i, pool := range s.LoadBalancer.Pools {
			if r, err := parseRange(pool.Range); err == nil && r.contains(a) {
				errs = append(errs, field.Invalid(p.Child("address"), s.VIP.Address, fmt.Sprintf("inside loadBalancer.pools[%d] (%s); MetalLB would hand it to a Service", i, pool.Range)))
			}
		}
	}
	// An interface inherited from a server is validated (and reported) there.
	inherited := false
	for _, n := range s.Servers() {
		inherited = inherited || n.InternalInterface == s.VIP.Interface
	}
	if s.VIP.Interface != "" && !inherited {
		errs = append(errs, validateIface(s.VIP.Interface, p.Child("interface"))...)
	}
	// keepalived.conf carries the interface as a bare word.
	if grammar.InterfaceName(s.VIP.Interface) == nil {
		if err := grammar.KeepalivedToken(s.VIP.Interface); err != nil {
			errs = append(errs, field.Invalid(p.Child("interface"), s.VIP.Interface, err.Error()))
		}
	}
	if s.VIP.VirtualRouterID < 1 || s.VIP.VirtualRouterID > 255 {
		errs = append(errs, field.Invalid(p.Child("virtualRouterId"), s.VIP.VirtualRouterID, "must be 1-255 and unique on the network segment"))
	}
	return append(errs, validateVIPImplementation(s, p)...)
}

// validateVIPImplementation checks the keepalived/kube-vip choice and the
// settings that belong to only one of them.
func validateVIPImplementation(s *ClusterSpec, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	switch s.VIP.Implementation {
	case vip.ImplKeepalived:
		if s.VIP.KubeVIP != nil {
			errs = append(errs, field.Invalid(p.Child("kubeVip"), "set", "applies only to vip.implementation kube-vip; remove it or set vip.implementation: kube-vip"))
		}
	case vip.ImplKubeVIP:
		if s.VIP.Unicast {
			errs = append(errs, field.Invalid(p.Child("unicast"), true, "is a keepalived (VRRP) setting; kube-vip elects its leader through the API server: remove it"))
		}
		if s.K3s.Airgap != nil {
			errs = append(errs, field.Invalid(p.Child("implementation"), vip.ImplKubeVIP, "with k3s.airgap: the image "+vip.KubeVIPImage+" is not in k3s's airgap images and cannot be pulled; use vip.implementation: keepalived or import the image into every server's agent/images first"))
		}
		if k := s.VIP.KubeVIP; k != nil {
			lp := p.Child("kubeVip")
			for _, f := range []struct {
				key string
				v   int
			}{{"leaseDuration", k.LeaseDuration}, {"renewDeadline", k.RenewDeadline}, {"retryPeriod", k.RetryPeriod}} {
				if f.v < 1 || f.v > 300 {
					errs = append(errs, field.Invalid(lp.Child(f.key), f.v, "must be 1-300 seconds"))
				}
			}
			l := vip.Lease{Duration: k.LeaseDuration, RenewDeadline: k.RenewDeadline, RetryPeriod: k.RetryPeriod}
			for _, msg := range l.Check() {
				errs = append(errs, field.Invalid(lp, fmt.Sprintf("%d/%d/%d", k.LeaseDuration, k.RenewDeadline, k.RetryPeriod), msg+" (leaseDuration/renewDeadline/retryPeriod; kube-vip exits otherwise)"))
			}
		}
	default:
		errs = append(errs, field.NotSupported(p.Child("implementation"), s.VIP.Implementation, []string{vip.ImplKeepalived, vip.ImplKubeVIP}))
	}
	return errs
}
