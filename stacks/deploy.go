package stacks

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"k3s-onprem/components/host"
	"k3s-onprem/components/vip"
)

// Run is the program: load and validate the config (nothing is registered
// when it is invalid), then deploy.
func Run(ctx *pulumi.Context) error {
	spec, sec, err := Load(ctx)
	if err != nil {
		return err
	}
	return Deploy(ctx, spec, sec)
}

// The phases in deployment order (the values of stopAfter). Each is wired
// in its own file (deploy_<phase>.go) and hands its typed result to the
// phases that need it; dependencies between their resources are explicit.
const (
	PhaseHosts     = "hosts"
	PhaseVIP       = "vip"
	PhaseK3s       = "k3s"
	PhaseCluster   = "cluster"
	PhaseResponder = "responder"
	PhaseFalco     = "falco"
	PhaseCIS       = "cis"
)

// PhaseNames are the phases in deployment order.
func PhaseNames() []string {
	return []string{PhaseHosts, PhaseVIP, PhaseK3s, PhaseCluster, PhaseResponder, PhaseFalco, PhaseCIS}
}

// Deploy wires every component for a validated spec, up to and including
// spec.StopAfter when it is set.
func Deploy(ctx *pulumi.Context, spec *ClusterSpec, sec *Secrets) error {
	defer exportNodes(ctx, spec)
	stop := func(phase string) bool { return spec.StopAfter == phase }
	hosts, err := deployHosts(ctx, spec, sec)
	if err != nil || stop(PhaseHosts) {
		return phaseErr(PhaseHosts, err)
	}
	v, err := deployVIP(ctx, spec, hosts)
	if err != nil || stop(PhaseVIP) {
		return phaseErr(PhaseVIP, err)
	}
	k, err := deployK3s(ctx, spec, sec, hosts, v)
	if err == nil {
		// The off-host copy of etcd snapshots belongs to the k3s phase.
		_, err = deployBackup(ctx, spec, sec, k)
	}
	if err != nil || stop(PhaseK3s) {
		return phaseErr(PhaseK3s, err)
	}
	cl, err := deployCluster(ctx, spec, k)
	if err != nil || stop(PhaseCluster) {
		return phaseErr(PhaseCluster, err)
	}
	r, err := deployResponder(ctx, spec, hosts, k, cl)
	if err != nil || stop(PhaseResponder) {
		return phaseErr(PhaseResponder, err)
	}
	if err := deployFalco(ctx, spec, sec, hosts, k, cl, r); err != nil || stop(PhaseFalco) {
		return phaseErr(PhaseFalco, err)
	}
	return phaseErr(PhaseCIS, deployCIS(ctx, spec, hosts, k, cl))
}

// phaseErr names the phase an error came from (nil stays nil).
func phaseErr(phase string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", phase, err)
}

// Hosts are the configured hosts by node name (the hosts phase's result).
type Hosts map[string]*host.Host

func deployHosts(ctx *pulumi.Context, spec *ClusterSpec, sec *Secrets) (Hosts, error) {
	hosts := Hosts{}
	for _, n := range spec.Nodes {
		h, err := host.NewHost(ctx, n.Name, hostArgs(n, spec, sec))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", n.Name, err)
		}
		hosts[n.Name] = h
	}
	return hosts, nil
}

func hostArgs(n Node, spec *ClusterSpec, sec *Secrets) *host.Args {
	return &host.Args{
		Node:       n.Name,
		Role:       n.Role,
		Connection: connection(n, spec, sec),
		Sudo:       n.SSH.User != "root",
		Steps:      hostSteps(n, spec),
	}
}

// hostSteps is the pure part of a node's host configuration.
func hostSteps(n Node, spec *ClusterSpec) host.StepsInput {
	h := spec.Hardening
	fw := host.FirewallInput{
		Server:            n.Role == RoleServer,
		InternalInterface: n.InternalInterface,
		ClusterCIDR:       spec.Network.ClusterCIDR,
		ServiceCIDR:       spec.Network.ServiceCIDR,
		PublicPorts:       spec.Network.PublicPorts,
		APIOnPublic:       spec.Network.APIOnPublic,
		NoVRRP:            spec.VIP.Implementation == vip.ImplKubeVIP,
	}
	if n.TwoNetwork() {
		fw.ExternalInterface = n.ExternalInterface
	}
	return host.StepsInput{
		Firewall:                fw,
		FirewallBackendIptables: spec.Network.FirewallBackendIptables,
		Hardening: host.Hardening{
			SSHD: On(h.SSHD), Auditd: On(h.Auditd), ModuleBlacklist: On(h.ModuleBlacklist),
			Sysctls: On(h.Sysctls), CoreDumps: On(h.CoreDumps), FilePermissions: On(h.FilePermissions),
			SELinux: h.SELinux, PermitRootLogin: h.PermitRootLogin,
		},
	}
}

// exportNodes publishes the node inventory (no secrets).
func exportNodes(ctx *pulumi.Context, spec *ClusterSpec) {
	servers, agents := pulumi.Array{}, pulumi.Array{}
	for _, n := range spec.Nodes {
		entry := pulumi.Map{"name": pulumi.String(n.Name), "address": pulumi.String(n.InternalAddress)}
		if n.Role == RoleServer {
			servers = append(servers, entry)
		} else {
			agents = append(agents, entry)
		}
	}
	ctx.Export("servers", servers)
	ctx.Export("agents", agents)
	ctx.Export("vip", pulumi.String(spec.VIP.Address))
	ctx.Export("k3sVersion", pulumi.String(spec.K3s.Version))
}
