package stacks

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"k3s-onprem/components/falco"
)

// deployFalco wires runtime detection: the Falco step on every node after
// its host steps, and falcosidekick (forwarding to the outputs and the
// responder) with Falco's read-only identity in the cluster.
func deployFalco(ctx *pulumi.Context, c *Cluster) error {
	if !On(c.Spec.Falco.Enabled) {
		return nil
	}
	args := &falco.Args{
		Mode:            c.Spec.Falco.Mode,
		Version:         c.Spec.Falco.Version,
		ServiceCIDR:     c.Spec.Network.ServiceCIDR,
		NamespacesReady: c.NamespacesReady,
		OutputURLs:      map[string]pulumi.StringInput{},
		Charts:          c.Spec.Charts.Source(),
	}
	// A server's Falco waits for its k3s health gate, so the container
	// plugin finds k3s's containerd at its first start; agents are not
	// recorded in Cluster, and their step restarts Falco once containerd
	// appears (see the falco host script).
	gates := map[string]pulumi.Resource{}
	for i, n := range c.Spec.Servers() {
		if i < len(c.K3sServers) {
			gates[n.Name] = c.K3sServers[i].Gate
		}
	}
	for _, n := range c.Spec.Nodes {
		h := c.Hosts[n.Name]
		node := falco.Node{Name: n.Name, Server: n.Role == RoleServer, Target: h.Target}
		for _, r := range []pulumi.Resource{h.Ready, gates[n.Name]} {
			if r != nil {
				node.After = append(node.After, r)
			}
		}
		args.Nodes = append(args.Nodes, node)
	}
	for _, o := range c.Spec.Falco.Outputs {
		args.Outputs = append(args.Outputs, falco.Output{Type: o.Type, MinPriority: o.MinPriority})
		if u, ok := c.Secrets.FalcoOutputURLs[o.Type]; ok {
			args.OutputURLs[o.Type] = u
		}
	}
	if c.KubeProvider != nil {
		args.KubeProvider = c.KubeProvider
	}
	if len(c.K3sServers) > 0 {
		args.DeletedWith = c.K3sServers[0]
	}
	// The responder phase runs first; sidekick authenticates to it with its
	// bearer token and verifies it against its CA.
	if r := c.Responder; r != nil {
		// Every rule the responder knows must reach it; Falco itself emits
		// from NOTICE up in both modes (falco.AlertPriority).
		args.Responder = &falco.ResponderArgs{URL: r.WebhookURL, Token: r.Token, CAPEM: r.CAPEM, MinPriority: "debug"}
	}
	_, err := falco.NewFalco(ctx, falcoName(c.Spec), args)
	return err
}

// falcoName names the Falco component.
func falcoName(spec *ClusterSpec) string { return spec.ClusterName + "-falco" }
