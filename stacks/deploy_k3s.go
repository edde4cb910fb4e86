package stacks

import (
	"fmt"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi-random/sdk/v4/go/random"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"k3s-onprem/components/falco"
	"k3s-onprem/components/k3s"
	"k3s-onprem/components/vip"
)

// K3sCluster is the k3s phase's result.
type K3sCluster struct {
	// Servers are the k3s servers in join order.
	Servers []*k3s.Server
	// Kubeconfig is the admin kubeconfig read from the first server, with
	// the server URL rewritten to the VIP (a Pulumi secret).
	Kubeconfig pulumi.StringOutput
	// Provider talks to the cluster through Kubeconfig. Every Kubernetes
	// object of later phases uses it, so nothing is applied before the
	// cluster answers on the VIP.
	Provider *kubernetes.Provider
	// ready is each node's k3s health by node name: a server's gate, an
	// agent's last step (NodeReady).
	ready map[string]pulumi.Resource
}

// NodeReady is each node's k3s health by node name: later host steps on a
// node wait for it.
func (k *K3sCluster) NodeReady() map[string]pulumi.Resource { return k.ready }

// DeletedWith is what in-cluster objects die with: the first server's
// install (a destroy then skips deleting objects from a gone cluster).
func (k *K3sCluster) DeletedWith() pulumi.Resource {
	if len(k.Servers) == 0 {
		return nil
	}
	return k.Servers[0]
}

// deployK3s installs k3s: the first server bootstraps etcd (cluster-init),
// each further server joins it after the previous one passed its health
// gate, and agents join through the VIP after the last server's gate and
// the VIP answer. The admin kubeconfig (server URL = VIP) becomes a secret
// output and the kubernetes.Provider of every later phase. v is keepalived,
// placed before k3s; nil means kube-vip, placed here after the servers.
func deployK3s(ctx *pulumi.Context, spec *ClusterSpec, sec *Secrets, hosts Hosts, v *vip.VIP) (*K3sCluster, error) {
	servers := spec.Servers()
	if len(servers) == 0 || (v == nil) != (spec.VIP.Implementation == vip.ImplKubeVIP) {
		return nil, fmt.Errorf("needs at least one server and, with keepalived, the VIP")
	}
	k := &K3sCluster{ready: map[string]pulumi.Resource{}}
	// rotation.clusterToken / agentToken key each token to its generation.
	token, err := random.NewRandomPassword(ctx, spec.ClusterName+"-k3s-token", &random.RandomPasswordArgs{
		Length: pulumi.Int(48), Special: pulumi.Bool(false), Keepers: generationKeepers(spec.Rotation.ClusterToken),
	})
	if err != nil {
		return nil, err
	}
	agentToken, err := random.NewRandomPassword(ctx, spec.ClusterName+"-k3s-agent-token", &random.RandomPasswordArgs{
		Length: pulumi.Int(48), Special: pulumi.Bool(false), Keepers: generationKeepers(spec.Rotation.AgentToken),
	})
	if err != nil {
		return nil, err
	}
	var gate pulumi.Resource
	var gates []pulumi.Resource
	for i, n := range servers {
		h := hosts[n.Name]
		after := []pulumi.Resource{h.Ready}
		if gate != nil {
			after = append(after, gate)
		}
		in, err := k3sNodeInput(spec, n, i)
		if err != nil {
			return nil, err
		}
		s, err := k3s.NewServer(ctx, n.Name, &k3s.NodeArgs{
			Target: h.Target, After: after, Input: in,
			Token: token.Result, AgentToken: agentToken.Result, EtcdS3SecretKey: etcdS3SecretKey(spec, sec),
		})
		if err != nil {
			return nil, err
		}
		k.Servers = append(k.Servers, s)
		gate = s.Gate
		gates = append(gates, s.Gate)
		k.ready[n.Name] = s.Gate
	}
	if v == nil {
		if v, err = deployKubeVIP(ctx, spec, hosts, gates); err != nil {
			return nil, err
		}
	}
	// A raised rotation.secretsEncryption rotates the key on the first
	// server and restarts every server, one at a time, before the agents.
	serverNames := make([]string, len(servers))
	for i, n := range servers {
		serverNames[i] = n.Name
	}
	rotated, err := k3s.EncryptionRotation(ctx, k.Servers, serverNames, spec.Rotation.SecretsEncryption, []pulumi.Resource{gate})
	if err != nil {
		return nil, err
	}
	// A raised rotation.clusterToken rotates the server token on the first
	// server; a raised clusterToken or agentToken then restarts each server
	// with its new token files, one at a time, before the agents.
	if rotated, err = k3s.TokenRotation(ctx, k.Servers, serverNames, tokenGenerations(spec), token.Result, agentToken.Result, rotated); err != nil {
		return nil, err
	}
	if err := exportCertExpiry(ctx, spec, k.Servers); err != nil {
		return nil, err
	}
	vipReady := append(append([]pulumi.Resource{}, rotated...), v.Ready...)
	// Agents go in batches: each agent of batch N+1 starts its steps only
	// after every agent of batch N is Ready and uncordoned, so a failed
	// node stops the rollout with the later batches untouched.
	batches := spec.AgentBatches()
	var prevBatch []pulumi.Resource
	for b, batch := range batches {
		var done []pulumi.Resource
		for _, n := range batch {
			h := hosts[n.Name]
			in, err := k3sNodeInput(spec, n, 0)
			if err != nil {
				return nil, err
			}
			after := append(append([]pulumi.Resource{h.Ready}, vipReady...), prevBatch...)
			a, err := k3s.NewAgent(ctx, n.Name, &k3s.NodeArgs{
				Target: h.Target, After: after, Input: in, AgentToken: agentToken.Result,
				Drain: &k3s.Drain{Via: k.Servers[0].Target, TimeoutSeconds: spec.DrainSeconds(), Batch: fmt.Sprintf("%d/%d", b+1, len(batches))},
			})
			if err != nil {
				return nil, err
			}
			if _, err := k3s.NewMember(ctx, k.Servers[0], n.Name, a.Ready); err != nil {
				return nil, err
			}
			done = append(done, a.Ready)
			k.ready[n.Name] = a.Ready
		}
		prevBatch = done
	}
	// Removing a server drains it and deletes its Node (k3s then removes
	// its etcd member); the first server bootstraps the cluster and is not
	// removable this way.
	for i, s := range k.Servers[1:] {
		if _, err := k3s.NewMember(ctx, k.Servers[0], servers[i+1].Name, s.Gate); err != nil {
			return nil, err
		}
	}
	kubeconfig, err := k3s.ReadKubeconfig(ctx, k.Servers[0], spec.VIP.Address, 0, vipReady)
	if err != nil {
		return nil, err
	}
	provider, err := kubernetes.NewProvider(ctx, spec.ClusterName+"-k3s", &kubernetes.ProviderArgs{Kubeconfig: kubeconfig})
	if err != nil {
		return nil, err
	}
	k.Kubeconfig, k.Provider = kubeconfig, provider
	ctx.Export("kubeconfig", pulumi.ToSecret(kubeconfig))
	return k, nil
}

// K3sClusterConfig is the cluster-wide k3s configuration of a spec (the
// real API server tier starts kube-apiserver from it).
func K3sClusterConfig(spec *ClusterSpec) (k3s.ClusterConfig, error) {
	c := k3s.ClusterConfig{
		Version:      spec.K3s.Version,
		InternalCIDR: spec.Network.InternalCIDR,
		ClusterCIDR:  spec.Network.ClusterCIDR,
		ServiceCIDR:  spec.Network.ServiceCIDR,
		VIP:          spec.VIP.Address,
		ExtraTLSSANs: spec.K3s.ExtraTLSSANs,
		HasAgents:    len(spec.Agents()) > 0,
		SELinux:      spec.Hardening.SELinux != "off",
		PodSecurity:  k3s.PodSecurity{Enforce: spec.PodSecurity.Enforce},
		// k3s's scheduled etcd snapshots (deploy_backup.go).
		EtcdSnapshots: k3sEtcdSnapshots(spec),
	}
	for _, e := range spec.PodSecurity.ExemptNamespaces {
		c.PodSecurity.Exemptions = append(c.PodSecurity.Exemptions, k3s.Exemption{Namespace: e.Namespace, Reason: e.Reason})
	}
	if On(spec.Falco.Enabled) {
		// The API server streams audit events to Falco's k8saudit plugin.
		var err error
		if c.ExtraAPIServerArgs, c.ExtraServerFiles, err = falco.APIServerAuditWebhook(spec.Falco.Mode, spec.Network.ServiceCIDR); err != nil {
			return c, err
		}
	}
	return c, nil
}

// k3sNodeInput is the pure input of one node's k3s steps; serverIndex is
// the node's position among the servers (0 bootstraps the cluster).
func k3sNodeInput(spec *ClusterSpec, n Node, serverIndex int) (k3s.StepsInput, error) {
	node := k3s.NodeConfig{Name: n.Name, Role: n.Role, InternalAddress: n.InternalAddress, InternalInterface: n.InternalInterface}
	if n.Role == RoleServer && serverIndex > 0 {
		node.JoinAddress = spec.Servers()[0].InternalAddress
	}
	cluster, err := K3sClusterConfig(spec)
	if err != nil {
		return k3s.StepsInput{}, err
	}
	in := k3s.StepsInput{
		Cluster:  cluster,
		Node:     node,
		Install:  k3s.Install{ReleaseURL: spec.K3s.ReleaseURL, VerifyChecksum: On(spec.K3s.VerifyChecksum), Arch: n.Arch},
		Rotation: k3s.Rotation{Certificates: spec.Rotation.Certificates, SecretsEncryption: spec.Rotation.SecretsEncryption, Tokens: tokenGenerations(spec)},
	}
	if a := spec.K3s.Airgap; a != nil {
		in.Install.Airgap = &k3s.Airgap{BinaryPath: a.BinaryPath, BinarySHA256: a.BinarySHA256, ImagesPath: a.ImagesPath, ImagesSHA256: a.ImagesSHA256}
	}
	return in, nil
}

func tokenGenerations(spec *ClusterSpec) k3s.TokenGenerations {
	return k3s.TokenGenerations{Cluster: spec.Rotation.ClusterToken, Agent: spec.Rotation.AgentToken}
}

// exportCertExpiry publishes each server's API serving certificate expiry
// (notAfter, RFC 3339) as k3sServingCertExpiry; days left = notAfter - now.
func exportCertExpiry(ctx *pulumi.Context, spec *ClusterSpec, servers []*k3s.Server) error {
	expiry := pulumi.StringMap{}
	for i, n := range spec.Servers() {
		in, err := k3sNodeInput(spec, n, i)
		if err != nil {
			return err
		}
		if expiry[n.Name], err = k3s.CertExpiry(ctx, servers[i], in); err != nil {
			return err
		}
	}
	ctx.Export("k3sServingCertExpiry", expiry)
	return nil
}
