// Package testprovider is the gRPC scaffolding shared by the engine tier's
// test provider plugins (tests/engine/plugins/{command,random,tls}): the
// ResourceProviderServer methods the engine calls, property (un)marshalling
// with secrets kept, and the input diff. The plugins stand in for the real
// pulumi-command/random/tls plugins, which cannot be obtained here; see
// tests/engine/README.md. Never used by the program.
package testprovider

import (
	"context"
	"fmt"
	"sort"

	"github.com/pulumi/pulumi/sdk/v3/go/common/diag"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/provider"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"
)

// Op is what a resource implementation is asked to do; Log reports to the
// engine against the resource's URN.
type Op struct {
	URN     resource.URN
	Preview bool
	Log     func(sev diag.Severity, status bool, msg string)
}

// Type is one resource type of a plugin.
type Type interface {
	// ReplaceKeys are the input keys whose change replaces the resource.
	ReplaceKeys() map[string]bool
	// Check validates and defaults the inputs.
	Check(news resource.PropertyMap) (resource.PropertyMap, []*pulumirpc.CheckFailure)
	Create(ctx context.Context, op Op, inputs resource.PropertyMap) (id string, outputs resource.PropertyMap, err error)
	Update(ctx context.Context, op Op, id string, oldState, inputs resource.PropertyMap) (resource.PropertyMap, error)
	Delete(ctx context.Context, op Op, id string, state resource.PropertyMap) error
}

// Provider serves the types of one plugin.
type Provider struct {
	pulumirpc.UnimplementedResourceProviderServer
	Name, Version string
	Types         map[string]Type
	// Fallback, when set, serves the types not in Types.
	Fallback Type
	host     *provider.HostClient
}

// Main runs the plugin: prints its port and serves until the engine stops it.
func Main(p *Provider) {
	err := provider.Main(p.Name, func(h *provider.HostClient) (pulumirpc.ResourceProviderServer, error) {
		p.host = h
		return p, nil
	})
	if err != nil {
		panic(err)
	}
}

var opts = plugin.MarshalOptions{KeepUnknowns: true, KeepSecrets: true, KeepResources: true, SkipNulls: true}

func unmarshal(s *structpb.Struct) (resource.PropertyMap, error) {
	return plugin.UnmarshalProperties(s, opts)
}

func marshal(m resource.PropertyMap) (*structpb.Struct, error) {
	return plugin.MarshalProperties(m, opts)
}

func (p *Provider) typ(urn string) (Type, error) {
	t, ok := p.Types[string(resource.URN(urn).Type())]
	if !ok && p.Fallback != nil {
		return p.Fallback, nil
	}
	if !ok {
		return nil, fmt.Errorf("%s: unknown resource type %s", p.Name, resource.URN(urn).Type())
	}
	return t, nil
}

func (p *Provider) op(urn string, preview bool) Op {
	u := resource.URN(urn)
	return Op{URN: u, Preview: preview, Log: func(sev diag.Severity, status bool, msg string) {
		if p.host == nil {
			return
		}
		if status {
			_ = p.host.LogStatus(context.Background(), sev, u, msg)
		} else {
			_ = p.host.Log(context.Background(), sev, u, msg)
		}
	}}
}

func (p *Provider) Handshake(context.Context, *pulumirpc.ProviderHandshakeRequest) (*pulumirpc.ProviderHandshakeResponse, error) {
	return &pulumirpc.ProviderHandshakeResponse{AcceptSecrets: true, AcceptResources: true}, nil
}

func (p *Provider) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: p.Version}, nil
}

// GetSchema returns a schema naming only the package: the engine does not
// need resource schemas for programs that register resources through an SDK.
func (p *Provider) GetSchema(context.Context, *pulumirpc.GetSchemaRequest) (*pulumirpc.GetSchemaResponse, error) {
	return &pulumirpc.GetSchemaResponse{Schema: fmt.Sprintf(`{"name":%q,"version":%q}`, p.Name, p.Version)}, nil
}

func (p *Provider) CheckConfig(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	return &pulumirpc.CheckResponse{Inputs: req.GetNews()}, nil
}

func (p *Provider) DiffConfig(context.Context, *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}, nil
}

func (p *Provider) Configure(context.Context, *pulumirpc.ConfigureRequest) (*pulumirpc.ConfigureResponse, error) {
	return &pulumirpc.ConfigureResponse{AcceptSecrets: true, SupportsPreview: true, AcceptResources: true}, nil
}

func (p *Provider) Check(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	t, err := p.typ(req.GetUrn())
	if err != nil {
		return nil, err
	}
	news, err := unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	checked, failures := t.Check(news)
	out, err := marshal(checked)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.CheckResponse{Inputs: out, Failures: failures}, nil
}

// Diff compares the new inputs with the old ones key by key: a change of a
// replace key replaces, any other change updates (the default diff of
// pulumi-go-provider's infer, which the command provider uses; the bridged
// random and tls providers mark every input ForceNew).
func (p *Provider) Diff(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	t, err := p.typ(req.GetUrn())
	if err != nil {
		return nil, err
	}
	olds, err := unmarshal(req.GetOldInputs())
	if err != nil {
		return nil, err
	}
	news, err := unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	keys := map[resource.PropertyKey]bool{}
	for k := range olds {
		keys[k] = true
	}
	for k := range news {
		keys[k] = true
	}
	resp := &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE, DetailedDiff: map[string]*pulumirpc.PropertyDiff{}, HasDetailedDiff: true}
	replace := t.ReplaceKeys()
	for k := range keys {
		o, n := olds[k], news[k]
		if plain(o).DeepEquals(plain(n)) && !n.ContainsUnknowns() {
			continue
		}
		kind := pulumirpc.PropertyDiff_UPDATE
		if replace[string(k)] {
			resp.Replaces = append(resp.Replaces, string(k))
			kind = pulumirpc.PropertyDiff_UPDATE_REPLACE
		}
		resp.Diffs = append(resp.Diffs, string(k))
		resp.DetailedDiff[string(k)] = &pulumirpc.PropertyDiff{Kind: kind, InputDiff: true}
		resp.Changes = pulumirpc.DiffResponse_DIFF_SOME
	}
	sort.Strings(resp.Diffs)
	sort.Strings(resp.Replaces)
	return resp, nil
}

func (p *Provider) Create(ctx context.Context, req *pulumirpc.CreateRequest) (*pulumirpc.CreateResponse, error) {
	t, err := p.typ(req.GetUrn())
	if err != nil {
		return nil, err
	}
	in, err := unmarshal(req.GetProperties())
	if err != nil {
		return nil, err
	}
	id, outs, err := t.Create(ctx, p.op(req.GetUrn(), req.GetPreview()), in)
	if err != nil {
		return nil, err
	}
	s, err := marshal(outs)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.CreateResponse{Id: id, Properties: s}, nil
}

func (p *Provider) Update(ctx context.Context, req *pulumirpc.UpdateRequest) (*pulumirpc.UpdateResponse, error) {
	t, err := p.typ(req.GetUrn())
	if err != nil {
		return nil, err
	}
	olds, err := unmarshal(req.GetOlds())
	if err != nil {
		return nil, err
	}
	news, err := unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	outs, err := t.Update(ctx, p.op(req.GetUrn(), req.GetPreview()), req.GetId(), olds, news)
	if err != nil {
		return nil, err
	}
	s, err := marshal(outs)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.UpdateResponse{Properties: s}, nil
}

func (p *Provider) Delete(ctx context.Context, req *pulumirpc.DeleteRequest) (*emptypb.Empty, error) {
	t, err := p.typ(req.GetUrn())
	if err != nil {
		return nil, err
	}
	olds, err := unmarshal(req.GetProperties())
	if err != nil {
		return nil, err
	}
	return &emptypb.Empty{}, t.Delete(ctx, p.op(req.GetUrn(), false), req.GetId(), olds)
}

// Read returns the recorded state unchanged: none of these resources can be
// read back from the world (the command and random providers do the same).
func (p *Provider) Read(_ context.Context, req *pulumirpc.ReadRequest) (*pulumirpc.ReadResponse, error) {
	return &pulumirpc.ReadResponse{Id: req.GetId(), Properties: req.GetProperties(), Inputs: req.GetInputs()}, nil
}

func (p *Provider) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}
