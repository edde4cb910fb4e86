package stacks

import (
	"fmt"
	"maps"
	"sort"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"k3s-onprem/components/falco"
	"k3s-onprem/components/ingress"
	"k3s-onprem/components/loadbalancer"
	"k3s-onprem/components/podsecurity"
	"k3s-onprem/components/responder"
	"k3s-onprem/internal/namespaces"
)

// deployCluster wires the in-cluster layer through the k3s phase's
// provider: pod security first (it creates and labels every namespace and
// puts its policies in force), then MetalLB and its pools, then the
// ingress controllers, whose Services take addresses from those pools.
// Every object dies with the first server (DeletedWith), so a destroy does
// not wait on a cluster that is already gone.
func deployCluster(ctx *pulumi.Context, c *Cluster) error {
	if c.KubeProvider == nil {
		return fmt.Errorf("needs the kubernetes provider of the k3s phase")
	}
	spec := c.Spec
	v, err := ParseK3sVersion(spec.K3s.Version)
	if err != nil {
		return fmt.Errorf("k3s.version: %w", err)
	}
	var deletedWith pulumi.Resource
	if len(c.K3sServers) > 0 {
		deletedWith = c.K3sServers[0]
	}
	ingCfg := ingressConfig(spec, v.Minor)
	ps, err := podsecurity.NewPodSecurity(ctx, spec.ClusterName+"-podsecurity", &podsecurity.Args{
		Config: podsecurity.Config{
			Mode: spec.PodSecurity.Mode, KubeMinor: v.Minor, Namespaces: namespaces.For(namespaceSelection(spec)),
			Network: podsecurity.Network{InternalCIDR: spec.Network.InternalCIDR, ServiceCIDR: spec.Network.ServiceCIDR, ClusterCIDR: spec.Network.ClusterCIDR},
		},
		Provider: c.KubeProvider, DeletedWith: deletedWith, Adopted: adoptedNamespaces(ctx, spec),
	})
	if err != nil {
		return err
	}
	c.NamespacesReady = ps.Ready
	after := ps.Ready
	if On(spec.LoadBalancer.Enabled) {
		lb, err := loadbalancer.NewLoadBalancer(ctx, spec.ClusterName+"-loadbalancer", &loadbalancer.Args{
			Config: loadBalancerConfig(spec), Provider: c.KubeProvider, DeletedWith: deletedWith, After: after,
			Charts: spec.Charts.Source(),
		})
		if err != nil {
			return err
		}
		after = append(after, lb.Ready...)
	}
	if len(ingCfg.Controllers) > 0 {
		if _, err := ingress.NewIngress(ctx, spec.ClusterName+"-ingress", &ingress.Args{
			Config: ingCfg, Provider: c.KubeProvider, DeletedWith: deletedWith, After: after,
			Charts: spec.Charts.Source(),
		}); err != nil {
			return err
		}
	}
	ctx.Export("ingress", ingressOutputs(ingCfg))
	return nil
}

// loadBalancerConfig maps each pool to the interfaces of its network: the
// internal interface of every node, or the external interface of the
// nodes that have one (and only those nodes announce it).
func loadBalancerConfig(spec *ClusterSpec) loadbalancer.Config {
	var cfg loadbalancer.Config
	for _, p := range spec.LoadBalancer.Pools {
		pool := loadbalancer.Pool{Name: p.Name, Range: p.Range}
		ifaces := map[string]bool{}
		var nodes []string
		for _, n := range spec.Nodes {
			switch {
			case p.Network == "internal":
				ifaces[n.InternalInterface] = true
			case n.TwoNetwork():
				ifaces[n.ExternalInterface] = true
				nodes = append(nodes, n.Name)
			}
		}
		for i := range ifaces {
			pool.Interfaces = append(pool.Interfaces, i)
		}
		sort.Strings(pool.Interfaces)
		if len(nodes) < len(spec.Nodes) {
			pool.Nodes = nodes
		}
		cfg.Pools = append(cfg.Pools, pool)
	}
	return cfg
}

// namespaceSelection is which of the registry's namespaces this stack
// creates: one per component it deploys (and per Falco mode and ingress
// controller).
func namespaceSelection(spec *ClusterSpec) namespaces.Selection {
	sel := namespaces.Selection{
		LoadBalancer:   On(spec.LoadBalancer.Enabled),
		Falco:          On(spec.Falco.Enabled),
		FalcoDaemonSet: spec.Falco.Mode == falco.ModeDaemonSet,
		Responder:      On(spec.Responder.Enabled),
	}
	for _, ic := range ingressControllers(spec) {
		sel.IngressControllers = append(sel.IngressControllers, ic.name)
	}
	return sel
}

// adoptedNamespaces are the objects Falco and the responder created
// themselves before the podsecurity layer created every namespace; the
// layer takes them over under their old URNs.
func adoptedNamespaces(ctx *pulumi.Context, spec *ClusterSpec) map[string]pulumi.URN {
	out := map[string]pulumi.URN{}
	if On(spec.Falco.Enabled) {
		maps.Copy(out, falco.Adopted(ctx.Stack(), ctx.Project(), falcoName(spec), spec.Falco.Mode))
	}
	if On(spec.Responder.Enabled) {
		maps.Copy(out, responder.Adopted(ctx.Stack(), ctx.Project(), responderName(spec)))
	}
	return out
}

// ingressConfig lists the enabled controllers.
func ingressConfig(spec *ClusterSpec, minor int) ingress.Config {
	cfg := ingress.Config{KubeMinor: minor, PSP: spec.PodSecurity.Mode == podsecurity.ModePSP}
	for _, ic := range ingressControllers(spec) {
		cfg.Controllers = append(cfg.Controllers, ingress.Controller{
			Name: ic.name, Kind: ingress.KindIngressNginx, ClassName: ic.c.ClassName,
			Pool: ic.c.Pool, LoadBalancerIP: ic.c.LoadBalancerIP, Replicas: ic.c.Replicas,
		})
	}
	return cfg
}

type namedController struct {
	name string
	c    IngressController
}

// ingressControllers are the enabled controllers with their names.
func ingressControllers(spec *ClusterSpec) []namedController {
	var out []namedController
	for _, ic := range []namedController{{namespaces.ControllerExternal, spec.Ingress.External}, {namespaces.ControllerInternal, spec.Ingress.Internal}} {
		if On(ic.c.Enabled) {
			out = append(out, ic)
		}
	}
	return out
}

// ingressOutputs is the stack output: per controller its class, pool and
// fixed address ("" when MetalLB picks one from the pool).
func ingressOutputs(cfg ingress.Config) pulumi.Map {
	out := pulumi.Map{}
	for _, c := range cfg.Controllers {
		out[c.Name] = pulumi.Map{
			"class": pulumi.String(c.ClassName), "pool": pulumi.String(c.Pool), "address": pulumi.String(c.LoadBalancerIP),
		}
	}
	return out
}
