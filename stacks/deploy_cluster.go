package stacks

import (
	"fmt"
	"sort"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"k3s-onprem/components/ingress"
	"k3s-onprem/components/loadbalancer"
	"k3s-onprem/components/podsecurity"
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
	namespaces, err := clusterNamespaces(spec, v.Minor)
	if err != nil {
		return err
	}
	ps, err := podsecurity.NewPodSecurity(ctx, spec.ClusterName+"-podsecurity", &podsecurity.Args{
		Config: podsecurity.Config{
			Mode: spec.PodSecurity.Mode, KubeMinor: v.Minor, Namespaces: namespaces,
			Network: podsecurity.Network{InternalCIDR: spec.Network.InternalCIDR, ServiceCIDR: spec.Network.ServiceCIDR},
		},
		Provider: c.KubeProvider, DeletedWith: deletedWith,
	})
	if err != nil {
		return err
	}
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

// clusterNamespaces are the namespaces the pod security layer creates for
// the in-cluster components: MetalLB's and one per ingress controller.
func clusterNamespaces(spec *ClusterSpec, minor int) ([]podsecurity.Namespace, error) {
	namespaces, err := ingress.Namespaces(ingressConfig(spec, minor))
	if err != nil {
		return nil, err
	}
	if On(spec.LoadBalancer.Enabled) {
		namespaces = append([]podsecurity.Namespace{loadbalancer.NamespaceSpec()}, namespaces...)
	}
	return namespaces, nil
}

// ingressConfig lists the enabled controllers.
func ingressConfig(spec *ClusterSpec, minor int) ingress.Config {
	cfg := ingress.Config{KubeMinor: minor, PSP: spec.PodSecurity.Mode == podsecurity.ModePSP}
	for _, ic := range []struct {
		name string
		c    IngressController
	}{{"external", spec.Ingress.External}, {"internal", spec.Ingress.Internal}} {
		if !On(ic.c.Enabled) {
			continue
		}
		cfg.Controllers = append(cfg.Controllers, ingress.Controller{
			Name: ic.name, Kind: ingress.KindIngressNginx, ClassName: ic.c.ClassName,
			Pool: ic.c.Pool, LoadBalancerIP: ic.c.LoadBalancerIP, Replicas: ic.c.Replicas,
		})
	}
	return cfg
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
