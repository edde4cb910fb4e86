// Package responder deploys the Falco responder (cmd/responder) as a
// sandboxed systemd service on every server, behind the VIP: no image
// registry, no pod that an attacker in the cluster could reach or delete.
// It also creates the responder's Kubernetes identity with exactly the
// permissions its actions declare (internal/responder.Permissions), the
// shared secret and the TLS certificate falcosidekick verifies.
package responder

import (
	"fmt"
	"strconv"

	"github.com/pulumi/pulumi-random/sdk/v4/go/random"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"k3s-onprem/internal/hoststep"
	"k3s-onprem/internal/namespaces"
	core "k3s-onprem/internal/responder"
)

// Defaults.
const (
	DefaultPort      = core.DefaultPort
	DefaultNamespace = namespaces.ResponderName
	// secretLength is the shared secret's length; letters and digits only,
	// so it survives a header, a YAML value and a shell read unquoted.
	secretLength = 48
)

// Responder is the deployed responder.
type Responder struct {
	pulumi.ResourceState

	// WebhookURL is falcosidekick's webhook address: https://<VIP>:<port>/falco.
	WebhookURL pulumi.StringOutput `pulumi:"webhookUrl"`
	// Token is the shared secret falcosidekick sends as "Authorization:
	// Bearer <token>" (a Pulumi secret).
	Token pulumi.StringOutput `pulumi:"token"`
	// CAPEM is the CA certificate falcosidekick verifies the responder with.
	CAPEM pulumi.StringOutput `pulumi:"caPem"`
	// Ready holds each server's responder step (for later dependencies).
	Ready []pulumi.Resource
}

// Server is one server the responder runs on.
type Server struct {
	// Node names the server; resources are <node>-responder[-...].
	Node string
	// Address is the server's internal address (a certificate SAN).
	Address string
	// Arch is amd64 or arm64 (the binary is built for it).
	Arch   string
	Target hoststep.Target
	// After are resources the step waits for (the server's k3s gate).
	After []pulumi.Resource
}

// Args configure the responder.
type Args struct {
	// Servers run the responder; the VIP moves between them.
	Servers []Server
	// VIP is the keepalived address falcosidekick posts to.
	VIP string
	// Port is the HTTPS port on every server (default 2801).
	Port int
	// ProtectedNamespaces are the namespaces the program creates for itself
	// besides Namespace (Falco, MetalLB, ingress-nginx): never acted on, and
	// not un-protectable by AllowNamespaces. The caller derives them from
	// the components that create them.
	ProtectedNamespaces []string
	// AllowNamespaces are never acted on, besides the system namespaces.
	AllowNamespaces []string
	// NamespacesReady are the podsecurity layer's objects: the responder's
	// namespace (DefaultNamespace, declared in internal/namespaces) with
	// its policies. The identity waits for them.
	NamespacesReady []pulumi.Resource
	// KubeProvider creates the Kubernetes identity (the cluster's provider).
	KubeProvider pulumi.ProviderResource
	// DeletedWith is what the Kubernetes objects die with (the cluster), so
	// a destroy does not try to delete them through a dead API; optional.
	DeletedWith pulumi.Resource
	// Binaries supplies the binary per arch (built at program run time by
	// default; see Builder).
	Binaries Builder
	// Rotation are the generations of the bearer token and the serving key;
	// raising one replaces it (0: never rotated).
	Rotation Rotation
}

// Rotation holds the responder's credential generations.
type Rotation struct {
	Token int
	TLS   int
}

// generationKeepers makes a random value new when its generation is
// raised; none at 0, so existing values stay as they are.
func generationKeepers(generation int) pulumi.StringMapInput {
	if generation == 0 {
		return nil
	}
	return pulumi.StringMap{"generation": pulumi.String(strconv.Itoa(generation))}
}

func (a *Args) defaults() error {
	if a.Port == 0 {
		a.Port = DefaultPort
	}
	if len(a.Servers) == 0 {
		return fmt.Errorf("responder: no servers")
	}
	if a.VIP == "" {
		return fmt.Errorf("responder: no VIP")
	}
	if a.KubeProvider == nil {
		return fmt.Errorf("responder: no Kubernetes provider")
	}
	for _, s := range a.Servers {
		if s.Arch == "" {
			return fmt.Errorf("responder: server %s has no arch", s.Node)
		}
	}
	return nil
}

// NewResponder registers the responder: secret, TLS, Kubernetes identity,
// and one host step per server (binary copy, files, credentials, unit).
func NewResponder(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*Responder, error) {
	if err := args.defaults(); err != nil {
		return nil, err
	}
	perms, err := core.Permissions(mustConfig(args))
	if err != nil {
		return nil, err
	}
	r := &Responder{}
	servers := pulumi.Array{}
	for _, s := range args.Servers {
		servers = append(servers, pulumi.Map{"node": pulumi.String(s.Node), "address": pulumi.String(s.Address), "arch": pulumi.String(s.Arch)})
	}
	inputs := pulumi.Map{
		"vip":             pulumi.String(args.VIP),
		"port":            pulumi.Int(args.Port),
		"namespace":       pulumi.String(DefaultNamespace),
		"allowNamespaces": pulumi.ToStringArray(args.AllowNamespaces),
		"protected":       pulumi.ToStringArray(args.ProtectedNamespaces),
		"servers":         servers,
		"permissions":     rulesInput(perms),
	}
	if err := ctx.RegisterComponentResourceV2(componentType, name, inputs, r, opts...); err != nil {
		return nil, err
	}
	child := pulumi.Parent(r)
	secret, err := random.NewRandomPassword(ctx, name+"-secret", &random.RandomPasswordArgs{
		Length: pulumi.Int(secretLength), Special: pulumi.Bool(false), Keepers: generationKeepers(args.Rotation.Token),
	}, child)
	if err != nil {
		return nil, err
	}
	tlsOut, err := newTLS(ctx, name, args, child)
	if err != nil {
		return nil, err
	}
	k8sOpts := []pulumi.ResourceOption{child, pulumi.Provider(args.KubeProvider)}
	if args.DeletedWith != nil {
		k8sOpts = append(k8sOpts, pulumi.DeletedWith(args.DeletedWith))
	}
	ident, err := newIdentity(ctx, name, DefaultNamespace, perms, append(k8sOpts, pulumi.DependsOn(args.NamespacesReady))...)
	if err != nil {
		return nil, err
	}
	// One stdin for the step: the secret line, then the key and the
	// certificate. It is a secret as a whole and changes re-run the step.
	stdin := pulumi.ToSecret(pulumi.Sprintf("%s\n%s\n%s\n", secret.Result, tlsOut.keyPEM, tlsOut.certPEM)).(pulumi.StringOutput)
	for _, s := range args.Servers {
		ready, err := deployServer(ctx, s, args, ident, stdin, child)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.Node, err)
		}
		r.Ready = append(r.Ready, ready)
	}
	r.WebhookURL = pulumi.String(WebhookURL(args.VIP, args.Port)).ToStringOutput()
	r.Token = pulumi.ToSecret(secret.Result).(pulumi.StringOutput)
	r.CAPEM = tlsOut.caPEM
	return r, ctx.RegisterResourceOutputs(r, pulumi.Map{
		"webhookUrl": r.WebhookURL,
		"token":      r.Token,
		"caPem":      r.CAPEM,
	})
}

// WebhookURL is falcosidekick's target for a VIP and port.
func WebhookURL(vip string, port int) string {
	return "https://" + vip + ":" + strconv.Itoa(port) + core.WebhookPath
}

// deployServer copies the binary for the server's arch and runs the step.
func deployServer(ctx *pulumi.Context, s Server, args *Args, id *identity, stdin pulumi.StringOutput, child pulumi.ResourceOption) (pulumi.Resource, error) {
	bin, sha, err := args.Binaries.Binary(s.Arch)
	if err != nil {
		return nil, err
	}
	steps, err := HostSteps(StepsInput{
		Port: args.Port, Namespace: DefaultNamespace, ProtectedNamespaces: args.ProtectedNamespaces,
		AllowNamespaces: args.AllowNamespaces, BinarySHA256: sha,
	})
	if err != nil {
		return nil, err
	}
	after := append(append([]pulumi.Resource{}, s.After...), id.ready...)
	cmds, err := hoststep.ApplyChain(ctx, s.Target, steps, after, func(hoststep.Step) (hoststep.Options, error) {
		return hoststep.Options{Stdin: stdin, Uploads: []hoststep.Upload{{Name: UploadName, Source: pulumi.NewFileAsset(bin)}}}, nil
	}, child)
	if err != nil {
		return nil, err
	}
	return cmds[len(cmds)-1], nil
}

// mustConfig is the configuration the hosts get, for Permissions. Its
// errors surface in HostSteps (RenderConfig) with context; here the default's
// actions are what matter.
func mustConfig(args *Args) *core.Config {
	c := core.DefaultConfig()
	c.OwnNamespace = DefaultNamespace
	c.ProtectedNamespacesExtra = args.ProtectedNamespaces
	c.Allow.Namespaces = args.AllowNamespaces
	return c
}
