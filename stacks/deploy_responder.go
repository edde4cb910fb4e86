package stacks

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"k3s-onprem/components/responder"
	"k3s-onprem/internal/namespaces"
)

// deployResponder runs the Falco responder on every server, each after its
// k3s health gate, with its Kubernetes identity created through the
// cluster's provider. The falco phase reads Cluster.Responder for
// falcosidekick's webhook output (URL, bearer token, CA).
func deployResponder(ctx *pulumi.Context, spec *ClusterSpec, hosts Hosts, k *K3sCluster, cl *ClusterLayer) (*responder.Responder, error) {
	if !On(spec.Responder.Enabled) {
		return nil, nil
	}
	servers := spec.Servers()
	if k == nil || k.Provider == nil || len(k.Servers) != len(servers) || cl == nil {
		return nil, fmt.Errorf("needs the k3s servers, the cluster's kubernetes provider and the namespaces")
	}
	args := &responder.Args{
		VIP:                 spec.VIP.Address,
		Port:                spec.Responder.Port,
		ProtectedNamespaces: namespaces.ResponderProtected(namespaceSelection(spec)),
		NamespacesReady:     cl.NamespacesReady,
		AllowNamespaces:     spec.Responder.AllowNamespaces,
		KubeProvider:        k.Provider,
		DeletedWith:         k.DeletedWith(),
		Binaries:            responder.BuilderFromEnvironment(supportedArches),
		Rotation:            responder.Rotation{Token: spec.Rotation.ResponderToken, TLS: spec.Rotation.ResponderTLS},
	}
	for i, n := range servers {
		args.Servers = append(args.Servers, responder.Server{
			Node: n.Name, Address: n.InternalAddress, Arch: n.Arch,
			Target: hosts[n.Name].Target,
			After:  []pulumi.Resource{k.Servers[i].Gate},
		})
	}
	r, err := responder.NewResponder(ctx, responderName(spec), args)
	if err != nil {
		return nil, err
	}
	ctx.Export("responderWebhookUrl", r.WebhookURL)
	ctx.Export("responderCaPem", r.CAPEM)
	return r, nil
}

// responderName names the responder component.
func responderName(spec *ClusterSpec) string { return spec.ClusterName + "-responder" }
