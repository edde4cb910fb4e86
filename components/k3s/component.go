// Package k3s installs a pinned, checksum-verified k3s on prepared hosts
// and joins them into an HA cluster: Server (embedded etcd, joined one at a
// time behind a health gate) and Agent (joins through the VIP). Renderers
// for config.yaml, the systemd unit, the admission configuration and the
// audit policy are pure functions in this package; the steps that place
// them are internal/hoststep steps.
package k3s

import (
	"fmt"
	"path"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"k3s-onprem/internal/hoststep"
)

// NodeArgs configures a Server or an Agent.
type NodeArgs struct {
	// Target is the prepared host (host.Host.Target).
	Target hoststep.Target
	// After are what this node's first step waits for: its host's last
	// step, and the previous server's gate (servers) or the last server's
	// gate and the VIP (agents).
	After []pulumi.Resource
	// Input is the pure part: cluster and node configuration, install mode.
	Input StepsInput
	// Token is the cluster token (servers only; secret, reaches the host
	// only through the token step's stdin).
	Token pulumi.StringInput
	// AgentToken joins agents; servers hold it as agent-token-file (secret).
	AgentToken pulumi.StringInput
	// EtcdS3SecretKey is the S3 secret key of etcd snapshots (servers with
	// Input.Cluster.EtcdSnapshots.S3 only; secret, stdin only).
	EtcdS3SecretKey pulumi.StringInput
	// Drain, for agents, drains the node through the first server before
	// its k3s restarts and uncordons it after (nil: no drain).
	Drain *Drain
}

// Server is a k3s server node.
type Server struct {
	pulumi.ResourceState

	// Target is how later steps reach this server.
	Target hoststep.Target
	// Gate completes when this server is healthy (API ready, etcd member
	// healthy, node Ready). The next server and the agents wait for it.
	Gate pulumi.Resource
}

// Agent is a k3s agent node.
type Agent struct {
	pulumi.ResourceState

	// Ready is the agent's last step (it is Ready and its files are tight).
	Ready pulumi.Resource
}

// NewServer registers a server's steps as one dependency chain.
func NewServer(ctx *pulumi.Context, name string, args *NodeArgs, opts ...pulumi.ResourceOption) (*Server, error) {
	if args.Input.Node.Role != RoleServer {
		return nil, fmt.Errorf("server %s: role is %q", name, args.Input.Node.Role)
	}
	s := &Server{Target: args.Target}
	if err := ctx.RegisterComponentResourceV2("k3s-onprem:k3s:Server", name, componentInputs(args), s, opts...); err != nil {
		return nil, err
	}
	last, err := registerSteps(ctx, s, args)
	if err != nil {
		return nil, fmt.Errorf("server %s: %w", name, err)
	}
	s.Gate = last
	return s, ctx.RegisterResourceOutputs(s, pulumi.Map{})
}

// NewAgent registers an agent's steps as one dependency chain.
func NewAgent(ctx *pulumi.Context, name string, args *NodeArgs, opts ...pulumi.ResourceOption) (*Agent, error) {
	if args.Input.Node.Role != RoleAgent {
		return nil, fmt.Errorf("agent %s: role is %q", name, args.Input.Node.Role)
	}
	a := &Agent{}
	if err := ctx.RegisterComponentResourceV2("k3s-onprem:k3s:Agent", name, componentInputs(args), a, opts...); err != nil {
		return nil, err
	}
	last, err := registerSteps(ctx, a, args)
	if err != nil {
		return nil, fmt.Errorf("agent %s: %w", name, err)
	}
	a.Ready = last
	return a, ctx.RegisterResourceOutputs(a, pulumi.Map{})
}

// componentInputs are recorded in state for policies: nothing secret.
func componentInputs(args *NodeArgs) pulumi.Map {
	in := args.Input
	m := pulumi.Map{
		"node":           pulumi.String(in.Node.Name),
		"role":           pulumi.String(in.Node.Role),
		"version":        pulumi.String(in.Cluster.Version),
		"verifyChecksum": pulumi.Bool(in.Install.VerifyChecksum),
		"airgap":         pulumi.Bool(in.Install.Airgap != nil),
		"vip":            pulumi.String(in.Cluster.VIP),
	}
	if in.Node.Role == RoleServer {
		m["clusterInit"] = pulumi.Bool(in.Node.JoinAddress == "")
	}
	return m
}

// registerSteps chains the node's steps after args.After and returns the last.
func registerSteps(ctx *pulumi.Context, parent pulumi.Resource, args *NodeArgs) (pulumi.Resource, error) {
	steps, err := HostSteps(args.Input)
	if err != nil {
		return nil, err
	}
	options := func(s hoststep.Step) (hoststep.Options, error) {
		o := hoststep.Options{}
		switch s.Name {
		case StepToken:
			o.Stdin = tokenStdin(args)
			if o.Stdin == nil {
				return o, fmt.Errorf("%s: no token given", args.Target.Node)
			}
		case StepBinary:
			o.Uploads = airgapUploads(args.Input.Install.Airgap)
		case StepEtcdS3:
			if args.EtcdS3SecretKey == nil {
				return o, fmt.Errorf("%s: etcd snapshots go to S3 but no secret key is given", args.Target.Node)
			}
			o.Stdin = pulumi.ToSecret(pulumi.Sprintf("%s\n", args.EtcdS3SecretKey)).(pulumi.StringOutput)
		}
		return o, nil
	}
	if args.Drain == nil || args.Input.Node.Role != RoleAgent {
		cmds, err := hoststep.ApplyChain(ctx, args.Target, steps, args.After, options, pulumi.Parent(parent))
		if err != nil {
			return nil, err
		}
		return cmds[len(cmds)-1], nil
	}
	return registerDrained(ctx, parent, args, steps, options)
}

// registerDrained chains an agent's steps with the drain step (on the
// first server) right before k3s-service and the uncordon step after the
// last: ... config, [selinux], drain, service, permissions, uncordon.
func registerDrained(ctx *pulumi.Context, parent pulumi.Resource, args *NodeArgs, steps []hoststep.Step, options func(hoststep.Step) (hoststep.Options, error)) (pulumi.Resource, error) {
	at := -1
	for i, s := range steps {
		if s.Name == StepService {
			at = i
		}
	}
	if at < 1 {
		return nil, fmt.Errorf("%s: no %s step to drain before", args.Target.Node, StepService)
	}
	drain, err := DrainStep(args.Input, *args.Drain)
	if err != nil {
		return nil, err
	}
	uncordon, err := UncordonStep(args.Input, *args.Drain)
	if err != nil {
		return nil, err
	}
	before, err := hoststep.ApplyChain(ctx, args.Target, steps[:at], args.After, options, pulumi.Parent(parent))
	if err != nil {
		return nil, err
	}
	drained, err := hoststep.Apply(ctx, args.Drain.Via, drain, hoststep.Options{}, pulumi.Parent(parent),
		pulumi.DependsOn([]pulumi.Resource{before[len(before)-1]}))
	if err != nil {
		return nil, err
	}
	after, err := hoststep.ApplyChain(ctx, args.Target, steps[at:], []pulumi.Resource{drained}, options, pulumi.Parent(parent))
	if err != nil {
		return nil, err
	}
	return hoststep.Apply(ctx, args.Drain.Via, uncordon, hoststep.Options{}, pulumi.Parent(parent),
		pulumi.DependsOn([]pulumi.Resource{after[len(after)-1]}))
}

// tokenStdin is "cluster\nagent\n" for servers, "agent\n" for agents: a
// secret output, so it stays out of logs and plain state.
func tokenStdin(args *NodeArgs) pulumi.StringInput {
	if args.AgentToken == nil {
		return nil
	}
	if args.Input.Node.Role == RoleServer {
		if args.Token == nil {
			return nil
		}
		return pulumi.ToSecret(pulumi.Sprintf("%s\n%s\n", args.Token, args.AgentToken)).(pulumi.StringOutput)
	}
	return pulumi.ToSecret(pulumi.Sprintf("%s\n", args.AgentToken)).(pulumi.StringOutput)
}

// airgapUploads copies the operator's binary (and image tarball) into the
// binary step's directory; the step verifies their checksums before use.
func airgapUploads(a *Airgap) []hoststep.Upload {
	if a == nil {
		return nil
	}
	up := []hoststep.Upload{{Name: "k3s", Source: pulumi.NewFileAsset(a.BinaryPath)}}
	if a.ImagesPath != "" {
		up = append(up, hoststep.Upload{Name: path.Base(a.ImagesPath), Source: pulumi.NewFileAsset(a.ImagesPath)})
	}
	return up
}
