package stacks

import (
	"fmt"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"k3s-onprem/components/host"
	"k3s-onprem/components/k3s"
	"k3s-onprem/components/responder"
	"k3s-onprem/components/vip"
)

// Run is the program: load and validate the config (nothing is registered
// when it is invalid), then deploy.
func Run(ctx *pulumi.Context) error {
	spec, sec, err := Load(ctx)
	if err != nil {
		return err
	}
	_, err = Deploy(ctx, spec, sec)
	return err
}

// Cluster is what Deploy built so far; each phase reads what earlier
// phases left here and adds its own results.
type Cluster struct {
	Spec    *ClusterSpec
	Secrets *Secrets
	Hosts   map[string]*host.Host

	// Kubeconfig is the admin kubeconfig read from the first server, with
	// the server URL rewritten to the VIP. It is a Pulumi secret; set by
	// the k3s phase.
	Kubeconfig pulumi.StringOutput
	// KubeProvider talks to the cluster through Kubeconfig. Every
	// Kubernetes object of later phases uses it (pulumi.Provider), so
	// nothing is applied before the cluster answers on the VIP; set by
	// the k3s phase.
	KubeProvider *kubernetes.Provider
	// VIP is keepalived on the servers (set by the vip phase).
	VIP *vip.VIP
	// NamespacesReady are the podsecurity layer's objects: every namespace
	// of the registry this stack creates, with its labels and policies
	// (set by the cluster phase). Falco and the responder install into
	// them.
	NamespacesReady []pulumi.Resource
	// K3sServers are the k3s servers in join order (set by the k3s phase).
	K3sServers []*k3s.Server
	// Responder is the Falco responder on the servers (set by the
	// responder phase when enabled; nil otherwise).
	Responder *responder.Responder
}

// phase is one deployment stage, wired in its own file (deploy_<x>.go).
type phase struct {
	name string
	run  func(ctx *pulumi.Context, c *Cluster) error
}

// phases run in this order; dependencies between their resources are
// explicit, so the order only decides what a phase can read from Cluster.
var phases = []phase{
	{"hosts", deployHosts},
	{"vip", deployVIP},
	{"k3s", deployK3s},
	{"cluster", deployCluster},
	{"responder", deployResponder},
	{"falco", deployFalco},
}

// PhaseNames are the phases in deployment order (the values of stopAfter).
func PhaseNames() []string {
	names := make([]string, len(phases))
	for i, p := range phases {
		names[i] = p.name
	}
	return names
}

// Deploy wires every component for a validated spec, up to and including
// spec.StopAfter when it is set.
func Deploy(ctx *pulumi.Context, spec *ClusterSpec, sec *Secrets) (*Cluster, error) {
	c := &Cluster{Spec: spec, Secrets: sec, Hosts: map[string]*host.Host{}}
	for _, p := range phases {
		if err := p.run(ctx, c); err != nil {
			return nil, fmt.Errorf("%s: %w", p.name, err)
		}
		if p.name == spec.StopAfter {
			break
		}
	}
	exportNodes(ctx, spec)
	return c, nil
}

func deployHosts(ctx *pulumi.Context, c *Cluster) error {
	for _, n := range c.Spec.Nodes {
		h, err := host.NewHost(ctx, n.Name, hostArgs(n, c.Spec, c.Secrets))
		if err != nil {
			return fmt.Errorf("%s: %w", n.Name, err)
		}
		c.Hosts[n.Name] = h
	}
	return nil
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
