package stacks

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"k3s-onprem/components/falco"
	"k3s-onprem/components/responder"
)

// deployFalco wires runtime detection: the Falco step on every node after
// its host steps, and falcosidekick (forwarding to the outputs and the
// responder) with Falco's read-only identity in the cluster.
func deployFalco(ctx *pulumi.Context, spec *ClusterSpec, sec *Secrets, hosts Hosts, k *K3sCluster, cl *ClusterLayer, r *responder.Responder) error {
	if !On(spec.Falco.Enabled) {
		return nil
	}
	args := &falco.Args{
		Mode:            spec.Falco.Mode,
		Version:         spec.Falco.Version,
		ServiceCIDR:     spec.Network.ServiceCIDR,
		NamespacesReady: cl.NamespacesReady,
		OutputURLs:      map[string]pulumi.StringInput{},
		Charts:          spec.Charts.Source(),
	}
	// A server's Falco waits for its k3s health gate, so the container
	// plugin finds k3s's containerd at its first start; agents have no
	// gate, and their step restarts Falco once containerd appears (see the
	// falco host script).
	gates := map[string]pulumi.Resource{}
	for i, n := range spec.Servers() {
		if i < len(k.Servers) {
			gates[n.Name] = k.Servers[i].Gate
		}
	}
	for _, n := range spec.Nodes {
		h := hosts[n.Name]
		node := falco.Node{Name: n.Name, Server: n.Role == RoleServer, Target: h.Target}
		for _, r := range []pulumi.Resource{h.Ready, gates[n.Name]} {
			if r != nil {
				node.After = append(node.After, r)
			}
		}
		args.Nodes = append(args.Nodes, node)
	}
	for _, o := range spec.Falco.Outputs {
		args.Outputs = append(args.Outputs, falco.Output{Type: o.Type, MinPriority: o.MinPriority})
		if u, ok := sec.FalcoOutputURLs[o.Type]; ok {
			args.OutputURLs[o.Type] = u
		}
	}
	args.KubeProvider, args.DeletedWith = k.Provider, k.DeletedWith()
	// sidekick authenticates to the responder with its bearer token and
	// verifies it against its CA.
	if r != nil {
		args.Responder = &falco.ResponderArgs{URL: r.WebhookURL, Token: r.Token, CAPEM: r.CAPEM}
	}
	_, err := falco.NewFalco(ctx, falcoName(spec), args)
	return err
}

// falcoName names the Falco component.
func falcoName(spec *ClusterSpec) string { return spec.ClusterName + "-falco" }
