// Package falco deploys runtime detection: Falco on every node (host
// package with the modern eBPF driver, or a Helm DaemonSet), the
// Kubernetes audit source on the servers, the project's custom rules, a
// read-only identity, and falcosidekick fanning alerts out to the
// configured outputs and the responder. Renderers are pure (config.go,
// audit.go, rules.go, sidekick.go, daemonset.go, steps.go); this file and
// cluster.go wire them into resources.
package falco

import (
	"fmt"

	"github.com/pulumi/pulumi-command/sdk/go/command/remote"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"k3s-onprem/internal/chartsource"
	"k3s-onprem/internal/hoststep"
)

// Modes.
const (
	ModeHost      = "host"
	ModeDaemonSet = "daemonset"
)

// Node is one host Falco watches.
type Node struct {
	Name   string
	Server bool
	Target hoststep.Target
	// After are the resources the node's Falco step waits for (the host
	// steps, and k3s on that node when present).
	After []pulumi.Resource
}

// ResponderArgs connect sidekick's webhook output to the responder.
type ResponderArgs struct {
	// URL is the responder's HTTPS endpoint.
	URL pulumi.StringInput
	// Token is the shared bearer token (secret).
	Token pulumi.StringInput
	// CAPEM verifies the responder's certificate (public; optional).
	CAPEM pulumi.StringInput
	// MinPriority is the lowest priority forwarded (default
	// ResponderMinPriority).
	MinPriority string
}

// ResponderMinPriority forwards every alert to the responder: every rule
// it knows must reach it, whatever the priority; Falco itself emits from
// NOTICE up in both modes (AlertPriority), so nothing is lost below it.
const ResponderMinPriority = "debug"

// Args configure Falco.
type Args struct {
	// Mode is host (package per node) or daemonset (Helm).
	Mode string
	// Version is the Falco release (package version, image tag).
	Version string
	// ServiceCIDR places the fixed sidekick and audit ClusterIPs.
	ServiceCIDR string
	Nodes       []Node
	Outputs     []Output
	// OutputURLs maps an output type to its URL (secret).
	OutputURLs map[string]pulumi.StringInput
	// Responder, when set, receives alerts through sidekick's webhook output.
	Responder *ResponderArgs
	// KubeProvider talks to the cluster; without it nothing is created in
	// the cluster (and daemonset mode is refused).
	KubeProvider pulumi.ProviderResource
	// NamespacesReady are the podsecurity layer's objects (Falco's
	// namespaces with their labels and NetworkPolicies); every object
	// here waits for them.
	NamespacesReady []pulumi.Resource
	// DeletedWith, when set, is the resource whose deletion removes the
	// cluster, so destroy does not talk to a dead API server.
	DeletedWith pulumi.Resource
	// Package sources for host mode; empty means the defaults.
	KeyURL, DebRepo, RPMRepo string
	// Charts is where the Helm charts come from (upstream, a mirror, archives).
	Charts chartsource.Source
}

// Falco is the deployed detection stack.
type Falco struct {
	pulumi.ResourceState

	// SidekickURL is where every Falco posts alerts.
	SidekickURL pulumi.StringOutput `pulumi:"sidekickUrl"`
	// AuditWebhookURL is what the servers' audit webhook config points at.
	AuditWebhookURL pulumi.StringOutput `pulumi:"auditWebhookUrl"`
	// Steps are the per-node host steps (host mode), by node name.
	Steps map[string]*remote.Command
}

// NewFalco registers the component.
func NewFalco(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*Falco, error) {
	if args.Mode != ModeHost && args.Mode != ModeDaemonSet {
		return nil, fmt.Errorf("falco.mode %q: want host or daemonset", args.Mode)
	}
	// Fail before registering anything when the version has no ruleset.
	if _, err := RulesetFor(args.Version); err != nil {
		return nil, err
	}
	sidekickIP, err := SidekickClusterIP(args.ServiceCIDR)
	if err != nil {
		return nil, err
	}
	auditURL := HostAuditURL()
	if args.Mode == ModeDaemonSet {
		if args.KubeProvider == nil {
			return nil, fmt.Errorf("falco.mode daemonset needs the cluster's Kubernetes provider")
		}
		// Fail before registering anything when the version has no chart.
		if _, err := ChartVersion(args.Version); err != nil {
			return nil, err
		}
		ip, err := AuditClusterIP(args.ServiceCIDR)
		if err != nil {
			return nil, err
		}
		auditURL = ServiceAuditURL(ip)
	}
	f := &Falco{Steps: map[string]*remote.Command{}}
	if err := ctx.RegisterComponentResourceV2(componentType, name, componentInputs(args), f, opts...); err != nil {
		return nil, err
	}
	sidekickURL := SidekickURL(sidekickIP)
	if args.Mode == ModeHost {
		if err := f.hostSteps(ctx, args, sidekickURL); err != nil {
			return nil, err
		}
	}
	if args.KubeProvider != nil {
		if err := f.inCluster(ctx, name, args, sidekickIP); err != nil {
			return nil, err
		}
	} else {
		_ = ctx.Log.Warn("falco: no Kubernetes provider yet; falcosidekick and Falco's identity are not deployed", &pulumi.LogArgs{Resource: f})
	}
	f.SidekickURL = pulumi.String(sidekickURL).ToStringOutput()
	f.AuditWebhookURL = pulumi.String(auditURL).ToStringOutput()
	return f, ctx.RegisterResourceOutputs(f, pulumi.Map{
		"sidekickUrl":     f.SidekickURL,
		"auditWebhookUrl": f.AuditWebhookURL,
	})
}

// componentInputs records the non-secret inputs (visible to policies).
func componentInputs(args *Args) pulumi.Map {
	nodes := pulumi.Array{}
	for _, n := range args.Nodes {
		nodes = append(nodes, pulumi.Map{"name": pulumi.String(n.Name), "server": pulumi.Bool(n.Server)})
	}
	outputs := pulumi.Array{}
	for _, o := range args.Outputs {
		outputs = append(outputs, pulumi.Map{"type": pulumi.String(o.Type), "minPriority": pulumi.String(o.MinPriority)})
	}
	return pulumi.Map{
		"mode":                 pulumi.String(args.Mode),
		"version":              pulumi.String(args.Version),
		"nodes":                nodes,
		"outputs":              outputs,
		"sidekickChartVersion": pulumi.String(SidekickChartVersion),
		"responder":            pulumi.Bool(args.Responder != nil),
	}
}

// hostSteps adds the Falco step on every node, after its host steps.
func (f *Falco) hostSteps(ctx *pulumi.Context, args *Args, sidekickURL string) error {
	for _, n := range args.Nodes {
		steps, err := HostSteps(StepsInput{
			Version: args.Version, Server: n.Server, SidekickURL: sidekickURL,
			KeyURL: args.KeyURL, DebRepo: args.DebRepo, RPMRepo: args.RPMRepo,
		})
		if err != nil {
			return fmt.Errorf("%s: %w", n.Name, err)
		}
		cmds, err := hoststep.ApplyChain(ctx, n.Target, steps, n.After, nil, pulumi.Parent(f))
		if err != nil {
			return fmt.Errorf("%s: %w", n.Name, err)
		}
		f.Steps[n.Name] = cmds[len(cmds)-1]
	}
	return nil
}
