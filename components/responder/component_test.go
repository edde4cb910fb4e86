package responder

import (
	"maps"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pulumi/pulumi-command/sdk/go/command/remote"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"k3s-onprem/internal/hoststep"
	"k3s-onprem/internal/plan"
	core "k3s-onprem/internal/responder"
)

// fakeBinaries writes stand-in binaries so the graph test builds nothing.
func fakeBinaries(t *testing.T) Builder {
	t.Helper()
	dir := t.TempDir()
	b := Builder{Prebuilt: map[string]string{}}
	for _, arch := range []string{"amd64", "arm64"} {
		p := filepath.Join(dir, arch)
		if err := os.WriteFile(p, []byte("binary for "+arch), 0o755); err != nil {
			t.Fatal(err)
		}
		b.Prebuilt[arch] = p
	}
	return b
}

var testServers = []struct{ node, addr, arch string }{
	{"server-1", "192.168.10.11", "amd64"},
	{"server-2", "192.168.10.12", "arm64"},
	{"server-3", "192.168.10.13", "amd64"},
}

func runResponder(t *testing.T) (*plan.Plan, map[string]string) {
	t.Helper()
	outs := map[string]string{}
	var mu sync.Mutex // ApplyT callbacks run on their own goroutines
	// The component's outputs are not joined to the run, so their
	// callbacks may still be pending when plan.Run returns: wait for both.
	var applied sync.WaitGroup
	applied.Add(2)
	set := func(k string) func(string) string {
		return func(v string) string { mu.Lock(); defer mu.Unlock(); outs[k] = v; applied.Done(); return v }
	}
	p, err := plan.Run("k3s-onprem", "test", nil, nil, func(ctx *pulumi.Context) error {
		prov, err := kubernetes.NewProvider(ctx, "k3s", &kubernetes.ProviderArgs{Kubeconfig: pulumi.String("mock")})
		if err != nil {
			return err
		}
		var servers []Server
		for _, s := range testServers {
			gate, err := remote.NewCommand(ctx, s.node+"-k3s-gate", &remote.CommandArgs{Connection: remote.ConnectionArgs{Host: pulumi.String(s.addr)}, Create: pulumi.String("true")})
			if err != nil {
				return err
			}
			servers = append(servers, Server{
				Node: s.node, Address: s.addr, Arch: s.arch,
				Target: hoststep.Target{Node: s.node, Connection: remote.ConnectionArgs{Host: pulumi.String(s.addr)}},
				After:  []pulumi.Resource{gate},
			})
		}
		r, err := NewResponder(ctx, "responder", &Args{
			Servers: servers, VIP: "192.168.10.10", KubeProvider: prov,
			AllowNamespaces: []string{"ci"}, Binaries: fakeBinaries(t),
		})
		if err != nil {
			return err
		}
		r.WebhookURL.ApplyT(set("url"))
		r.CAPEM.ApplyT(set("ca"))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { applied.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the component's outputs never resolved")
	}
	mu.Lock()
	defer mu.Unlock()
	return p, maps.Clone(outs)
}

func TestComponent_Graph(t *testing.T) {
	p, outs := runResponder(t)
	comp := p.Named("k3s-onprem:responder:Responder", "responder")
	if comp == nil {
		t.Fatal("no component")
	}
	for _, typ := range []string{
		"random:index/randomPassword:RandomPassword", "tls:index/selfSignedCert:SelfSignedCert",
		"tls:index/certRequest:CertRequest", "tls:index/locallySignedCert:LocallySignedCert",
		"kubernetes:core/v1:ServiceAccount", "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole",
		"kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
	} {
		if n := len(p.OfType(typ)); n != 1 {
			t.Errorf("%s: %d resources, want 1", typ, n)
		}
	}
	for _, r := range p.Resources {
		if r.Parent == comp.URN && strings.HasPrefix(r.Type, "kubernetes:") && !strings.Contains(r.Provider, "k3s") {
			t.Errorf("%s does not use the cluster's provider (%q)", r.Name, r.Provider)
		}
		if r.Type != "k3s-onprem:responder:Responder" && r.Type != "pulumi:providers:kubernetes" && !strings.HasSuffix(r.Name, "-k3s-gate") && r.Parent != comp.URN {
			t.Errorf("%s (%s) is not parented to the component", r.Name, r.Type)
		}
	}
	if outs["url"] != "https://192.168.10.10:2801/falco" {
		t.Errorf("webhook URL %q", outs["url"])
	}
	if !strings.Contains(outs["ca"], "BEGIN CERTIFICATE") {
		t.Errorf("CA %q", outs["ca"])
	}
}

func TestComponent_ClusterRoleFromPermissions(t *testing.T) {
	p, _ := runResponder(t)
	role := p.OfType("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole")[0]
	want, err := core.Permissions(core.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	rules := role.Inputs["rules"].ArrayValue()
	if len(rules) != len(want) {
		t.Fatalf("rules %v, want %v", rules, want)
	}
	for i, w := range want {
		got := rules[i].ObjectValue()
		if strs(got["resources"]) != strings.Join(w.Resources, ",") || strs(got["verbs"]) != strings.Join(w.Verbs, ",") || strs(got["apiGroups"]) != strings.Join(w.APIGroups, ",") {
			t.Errorf("rule %d: %v, want %+v", i, got, w)
		}
	}
}

func strs(v resource.PropertyValue) string {
	var out []string
	for _, e := range v.ArrayValue() {
		out = append(out, e.StringValue())
	}
	return strings.Join(out, ",")
}

func TestComponent_ServerSteps(t *testing.T) {
	p, _ := runResponder(t)
	binding := p.OfType("kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding")[0]
	sa := p.OfType("kubernetes:core/v1:ServiceAccount")[0]
	// A legacy token Secret never expires; the hosts mint bound tokens.
	for _, sec := range p.OfType("kubernetes:core/v1:Secret") {
		t.Errorf("the component creates Secret %s; the responder's token must come from the TokenRequest API", sec.Name)
	}
	for _, s := range testServers {
		cmd := p.Named("command:remote:Command", s.node+"-responder")
		if cmd == nil {
			t.Fatalf("%s: no responder step", s.node)
		}
		bin := p.Named("command:remote:CopyToRemote", s.node+"-responder-copy-upload-"+UploadName)
		if bin == nil {
			t.Fatalf("%s: no binary copy", s.node)
		}
		if !strings.Contains(bin.Inputs["source"].AssetValue().Path, s.arch) {
			t.Errorf("%s: copies %s, want the %s build", s.node, bin.Inputs["source"].AssetValue().Path, s.arch)
		}
		gate := p.Named("command:remote:Command", s.node+"-k3s-gate")
		for _, dep := range []*plan.Resource{bin, gate, binding, sa} {
			if !contains(cmd.DependsOn, dep.URN) {
				t.Errorf("%s: step does not wait for %s", s.node, dep.Name)
			}
		}
		stdin := cmd.Inputs["stdin"]
		if !stdin.IsSecret() {
			t.Errorf("%s: stdin (secret, TLS key) is not a Pulumi secret", s.node)
		}
		for _, k := range []resource.PropertyKey{"create", "update", "delete"} {
			if strings.Contains(cmd.Inputs[k].StringValue(), plan.MockSecretPrefix) || strings.Contains(cmd.Inputs[k].StringValue(), "PRIVATE KEY") {
				t.Errorf("%s: a secret is in the %s command text", s.node, k)
			}
		}
	}
	for _, r := range p.OfType("command:remote:CopyToRemote") {
		if src := r.Inputs["source"]; src.IsAsset() && strings.Contains(src.AssetValue().Text, plan.MockSecretPrefix) {
			t.Errorf("%s stages a secret in a file", r.Name)
		}
	}
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}
