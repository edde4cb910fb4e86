package stacks

import (
	"fmt"
	"os"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"k3s-onprem/components/responder"
	"k3s-onprem/internal/namespaces"
)

// deployResponder runs the Falco responder on every server, each after its
// k3s health gate, with its Kubernetes identity created through the
// cluster's provider. The falco phase reads Cluster.Responder for
// falcosidekick's webhook output (URL, bearer token, CA).
func deployResponder(ctx *pulumi.Context, c *Cluster) error {
	spec := c.Spec
	if !On(spec.Responder.Enabled) {
		return nil
	}
	servers := spec.Servers()
	if c.KubeProvider == nil || len(c.K3sServers) != len(servers) {
		return fmt.Errorf("needs the k3s servers and the cluster's kubernetes provider")
	}
	args := &responder.Args{
		VIP:                 spec.VIP.Address,
		Port:                spec.Responder.Port,
		ProtectedNamespaces: namespaces.ResponderProtected(namespaceSelection(spec)),
		NamespacesReady:     c.NamespacesReady,
		AllowNamespaces:     spec.Responder.AllowNamespaces,
		KubeProvider:        c.KubeProvider,
		DeletedWith:         c.K3sServers[0],
		Binaries:            responderBinaries(),
	}
	for i, n := range servers {
		args.Servers = append(args.Servers, responder.Server{
			Node: n.Name, Address: n.InternalAddress, Arch: n.Arch,
			Target: c.Hosts[n.Name].Target,
			After:  []pulumi.Resource{c.K3sServers[i].Gate},
		})
	}
	r, err := responder.NewResponder(ctx, responderName(spec), args)
	if err != nil {
		return err
	}
	c.Responder = r
	ctx.Export("responderWebhookUrl", r.WebhookURL)
	ctx.Export("responderCaPem", r.CAPEM)
	return nil
}

// responderName names the responder component.
func responderName(spec *ClusterSpec) string { return spec.ClusterName + "-responder" }

// responderBinaries builds the responder for each server's arch when the
// program runs. K3S_ONPREM_RESPONDER_BINARY_<ARCH> (e.g. ..._AMD64) names a
// binary built elsewhere instead, for operators without the Go toolchain
// beside the program or with a release pipeline.
func responderBinaries() responder.Builder {
	b := responder.Builder{Prebuilt: map[string]string{}}
	for _, arch := range supportedArches {
		if p := os.Getenv("K3S_ONPREM_RESPONDER_BINARY_" + strings.ToUpper(arch)); p != "" {
			b.Prebuilt[arch] = p
		}
	}
	return b
}
