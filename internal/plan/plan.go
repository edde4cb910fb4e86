// Package plan runs the Pulumi program under the SDK's mock monitor and
// records every resource it registers: type, name, parent, dependencies and
// inputs (secrets kept marked). The record drives `make render`, the graph
// tests, the offline policy run and the lab runner, so all of them see
// exactly what `pulumi up` would register.
package plan

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"sort"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Resource is one registered resource.
type Resource struct {
	URN      string
	Type     string
	Name     string
	Custom   bool
	Parent   string
	Provider string
	// DependsOn holds the URNs of explicit and property dependencies.
	DependsOn   []string
	DeletedWith string
	Inputs      resource.PropertyMap
	// AdditionalSecretOutputs as requested by the program.
	AdditionalSecretOutputs []string
	// ReplacementTrigger is the replacementTrigger option's value as JSON
	// ("" when unset): a change of it replaces the resource.
	ReplacementTrigger string
}

// Plan is the ordered record of one program run.
type Plan struct {
	Stack     string
	Resources []*Resource
	byURN     map[string]*Resource
	// Nodes maps an SSH endpoint (EndpointKey: host and port) to its node
	// name (filled by the caller).
	Nodes map[string]string
	// Config is the stack config the program ran with, by full key
	// ("project:key") as pulumi.Context.GetConfig reads it, so readers of
	// the plan (the offline policy check) judge the same config.
	Config map[string]string
}

// Get returns the resource with that URN.
func (p *Plan) Get(urn string) *Resource { return p.byURN[urn] }

// Named returns the resource with that name and type token (nil if none).
func (p *Plan) Named(typ, name string) *Resource {
	for _, r := range p.Resources {
		if r.Type == typ && r.Name == name {
			return r
		}
	}
	return nil
}

// OfType returns every resource of a type token, in registration order.
func (p *Plan) OfType(typ string) []*Resource {
	var out []*Resource
	for _, r := range p.Resources {
		if r.Type == typ {
			out = append(out, r)
		}
	}
	return out
}

// DependsOnTransitively reports whether a (by URN) depends on b, directly
// or through other resources, following explicit dependencies and parents'
// dependencies (a child waits for what its ancestors wait for).
func (p *Plan) DependsOnTransitively(a, b string) bool {
	seen := map[string]bool{}
	var walk func(u string) bool
	walk = func(u string) bool {
		if seen[u] {
			return false
		}
		seen[u] = true
		r := p.byURN[u]
		if r == nil {
			return false
		}
		for _, d := range r.DependsOn {
			if d == b || walk(d) {
				return true
			}
			// Depending on a component means depending on its children.
			for _, c := range p.Resources {
				if c.Parent == d && (c.URN == b || walk(c.URN)) {
					return true
				}
			}
		}
		return r.Parent != "" && walk(r.Parent)
	}
	return walk(a)
}

// Run executes program under mocks with the given raw config (keys without
// the project prefix) and returns the plan. secretKeys are marked secret.
func Run(project, stack string, config map[string]string, secretKeys []string, program pulumi.RunFunc) (*Plan, error) {
	cfg := map[string]string{}
	for k, v := range config {
		cfg[project+":"+k] = v
	}
	m := &monitor{project: project, plan: &Plan{Stack: stack, byURN: map[string]*Resource{}, Config: maps.Clone(cfg)}}
	var secrets []string
	for _, k := range secretKeys {
		secrets = append(secrets, project+":"+k)
	}
	err := pulumi.RunErr(program, pulumi.WithMocks(project, stack, m), func(ri *pulumi.RunInfo) {
		ri.Config = cfg
		ri.ConfigSecretKeys = secrets
		ri.DryRun = true
	})
	if err != nil {
		return nil, err
	}
	return m.plan, nil
}

type monitor struct {
	project string
	mu      sync.Mutex
	plan    *Plan
}

func (m *monitor) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	rpc := args.RegisterRPC
	r := &Resource{
		Type:     args.TypeToken,
		Name:     args.Name,
		Custom:   args.Custom,
		Inputs:   args.Inputs,
		Provider: args.Provider,
	}
	if rpc != nil {
		r.Parent = rpc.GetParent()
		r.DependsOn = append(r.DependsOn, rpc.GetDependencies()...)
		for _, deps := range rpc.GetPropertyDependencies() {
			r.DependsOn = append(r.DependsOn, deps.GetUrns()...)
		}
		r.DeletedWith = rpc.GetDeletedWith()
		r.AdditionalSecretOutputs = rpc.GetAdditionalSecretOutputs()
		if rt := rpc.GetReplacementTrigger(); rt != nil {
			b, _ := rt.MarshalJSON()
			r.ReplacementTrigger = string(b)
		}
	}
	r.DependsOn = dedupe(r.DependsOn)
	r.URN = m.urn(r.Parent, r.Type, r.Name)
	m.mu.Lock()
	m.plan.Resources = append(m.plan.Resources, r)
	m.plan.byURN[r.URN] = r
	m.mu.Unlock()
	id := ""
	if args.Custom {
		id = args.Name + "-id"
	}
	return id, outputs(args), nil
}

// MockSecretPrefix starts every secret value the mocks invent, so tests can
// search command text, staged files and plain inputs for leaks. Values are
// alphanumeric, like real generated tokens, so host scripts accept them.
const MockSecretPrefix = "MOCKS"

// mockSecret honours the requested length (keepalived's pass has 8 chars).
// Like the real provider, it makes a new value when the keepers change
// (rotation tests see the new secret reach its consumers).
func mockSecret(name string, inputs resource.PropertyMap) string {
	seed := name
	if k, ok := inputs["keepers"]; ok && k.IsObject() && len(k.ObjectValue()) > 0 {
		seed += fmt.Sprintf("\x00%v", k.ObjectValue().Mappable())
	}
	sum := sha256.Sum256([]byte(seed))
	v := MockSecretPrefix + hex.EncodeToString(sum[:])
	n := 32
	if l, ok := inputs["length"]; ok && l.IsNumber() {
		n = int(l.NumberValue())
	}
	return v[:max(n, len(MockSecretPrefix)+1)]
}

// outputs echoes the inputs, plus what well-known resources compute.
func outputs(args pulumi.MockResourceArgs) resource.PropertyMap {
	out := args.Inputs.Copy()
	switch args.TypeToken {
	case "random:index/randomPassword:RandomPassword", "random:index/randomString:RandomString":
		out["result"] = resource.MakeSecret(resource.NewStringProperty(mockSecret(args.Name, args.Inputs)))
	case "random:index/randomBytes:RandomBytes":
		out["base64"] = resource.MakeSecret(resource.NewStringProperty("bW9jay1ieXRlcy1tb2NrLWJ5dGVzLW1vY2stYnl0ZXMhIQ=="))
		out["hex"] = resource.MakeSecret(resource.NewStringProperty("6d6f636b"))
	case "command:remote:Command":
		out["stdout"] = resource.NewStringProperty("")
		out["stderr"] = resource.NewStringProperty("")
	case "tls:index/privateKey:PrivateKey":
		out["privateKeyPem"] = resource.MakeSecret(resource.NewStringProperty("-----BEGIN PRIVATE KEY-----\nmock\n-----END PRIVATE KEY-----\n"))
		out["publicKeyPem"] = resource.NewStringProperty("-----BEGIN PUBLIC KEY-----\nmock\n-----END PUBLIC KEY-----\n")
		// ED25519 keys used as SSH keys (components/backup).
		out["privateKeyOpenssh"] = resource.MakeSecret(resource.NewStringProperty("-----BEGIN OPENSSH PRIVATE KEY-----\nmock\n-----END OPENSSH PRIVATE KEY-----\n"))
		out["publicKeyOpenssh"] = resource.NewStringProperty("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG1vY2stYmFja3VwLWtleS1tb2NrLWJhY2t1cC1rZXkh\n")
	case "tls:index/selfSignedCert:SelfSignedCert", "tls:index/locallySignedCert:LocallySignedCert":
		out["certPem"] = resource.NewStringProperty("-----BEGIN CERTIFICATE-----\nmock\n-----END CERTIFICATE-----\n")
	}
	return out
}

func (m *monitor) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	return args.Args, nil
}

// urn computes the URN exactly as the SDK's mock monitor does, so the
// dependency URNs it reports resolve to recorded resources.
func (m *monitor) urn(parent, typ, name string) string {
	parentType := tokens.Type("")
	if p := resource.URN(parent); p != "" && p.QualifiedType() != resource.RootStackType {
		parentType = p.QualifiedType()
	}
	return string(resource.NewURN(tokens.QName(m.plan.Stack), tokens.PackageName(m.project), parentType, tokens.Type(typ), name))
}

func dedupe(in []string) []string {
	if len(in) == 0 {
		return nil
	}
	sort.Strings(in)
	out := in[:1]
	for _, s := range in[1:] {
		if s != out[len(out)-1] {
			out = append(out, s)
		}
	}
	return out
}

// String lists resources with their dependencies, one per line.
func (p *Plan) String() string {
	var b strings.Builder
	for _, r := range p.Resources {
		fmt.Fprintf(&b, "%s %s\n", r.Type, r.Name)
		if r.Parent != "" {
			fmt.Fprintf(&b, "  parent: %s\n", shortURN(r.Parent))
		}
		for _, d := range r.DependsOn {
			fmt.Fprintf(&b, "  dependsOn: %s\n", shortURN(d))
		}
	}
	return b.String()
}

func shortURN(u string) string {
	parts := strings.Split(u, "::")
	if len(parts) < 4 {
		return u
	}
	t := parts[2]
	if i := strings.LastIndex(t, "$"); i >= 0 {
		t = t[i+1:]
	}
	return t + " " + parts[3]
}
