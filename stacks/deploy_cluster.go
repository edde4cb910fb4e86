package stacks

import (
	"fmt"
	"maps"

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
func deployCluster(ctx *pulumi.Context, spec *ClusterSpec, k *K3sCluster) (*ClusterLayer, error) {
	if k == nil || k.Provider == nil {
		return nil, fmt.Errorf("needs the kubernetes provider of the k3s phase")
	}
	minor := spec.KubeMinor()
	ingCfg := ingressConfig(spec, minor)
	ps, err := podsecurity.NewPodSecurity(ctx, spec.ClusterName+"-podsecurity", &podsecurity.Args{
		Config: podsecurity.Config{
			Mode: spec.PodSecurity.Mode, KubeMinor: minor, Namespaces: namespaces.For(namespaceSelection(spec)),
			Network: podsecurity.Network{InternalCIDR: spec.Network.InternalCIDR, ServiceCIDR: spec.Network.ServiceCIDR, ClusterCIDR: spec.Network.ClusterCIDR},
		},
		Provider: k.Provider, DeletedWith: k.DeletedWith(), Adopted: adoptedNamespaces(ctx, spec),
	})
	if err != nil {
		return nil, err
	}
	after := ps.Ready
	if On(spec.LoadBalancer.Enabled) {
		lb, err := loadbalancer.NewLoadBalancer(ctx, spec.ClusterName+"-loadbalancer", &loadbalancer.Args{
			Config: loadBalancerConfig(spec), Provider: k.Provider, DeletedWith: k.DeletedWith(), After: after,
			Charts: spec.Charts.Source(),
		})
		if err != nil {
			return nil, err
		}
		after = append(after, lb.Ready...)
	}
	if len(ingCfg.Controllers) > 0 {
		if _, err := ingress.NewIngress(ctx, spec.ClusterName+"-ingress", &ingress.Args{
			Config: ingCfg, Provider: k.Provider, DeletedWith: k.DeletedWith(), After: after,
			Charts: spec.Charts.Source(),
		}); err != nil {
			return nil, err
		}
	}
	ctx.Export("ingress", ingressOutputs(ingCfg))
	return &ClusterLayer{NamespacesReady: ps.Ready}, nil
}

// ClusterLayer is the cluster phase's result.
type ClusterLayer struct {
	// NamespacesReady are the podsecurity layer's objects: every namespace
	// of the registry this stack creates, with its labels and policies.
	// Falco and the responder install into them.
	NamespacesReady []pulumi.Resource
}

// loadBalancerConfig hands the configured pools and the nodes' networks
// to the load balancer, which decides where each pool is announced.
func loadBalancerConfig(spec *ClusterSpec) loadbalancer.Config {
	var pools []loadbalancer.PoolRequest
	for _, p := range spec.LoadBalancer.Pools {
		pools = append(pools, loadbalancer.PoolRequest{Name: p.Name, Range: p.Range, Network: p.Network})
	}
	var nodes []loadbalancer.NodeNetworks
	for _, n := range spec.Nodes {
		nn := loadbalancer.NodeNetworks{Name: n.Name, InternalInterface: n.InternalInterface}
		if n.TwoNetwork() {
			nn.ExternalInterface = n.ExternalInterface
		}
		nodes = append(nodes, nn)
	}
	return loadbalancer.Announce(pools, nodes)
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
	if len(sel.IngressControllers) > 0 {
		sel.IngressKinds = []string{spec.Ingress.Implementation}
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
			Name: ic.name, Kind: spec.Ingress.Implementation, ClassName: ic.c.ClassName,
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
// fixed address ("" when MetalLB picks one from the pool), and for a
// Gateway API implementation the Gateway routes attach to
// (<namespace>/<name>).
func ingressOutputs(cfg ingress.Config) pulumi.Map {
	out := pulumi.Map{}
	for _, c := range cfg.Controllers {
		out[c.Name] = pulumi.Map{
			"class": pulumi.String(c.ClassName), "pool": pulumi.String(c.Pool), "address": pulumi.String(c.LoadBalancerIP),
		}
	}
	// Gateways fails only where Releases already failed.
	gws, _ := ingress.Gateways(cfg)
	for _, g := range gws {
		out[g.Controller.Name].(pulumi.Map)["gateway"] = pulumi.String(g.Gateway.Namespace + "/" + g.Gateway.Name)
	}
	return out
}
