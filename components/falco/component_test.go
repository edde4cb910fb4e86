package falco

import (
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi-command/sdk/go/command/remote"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"k3s-onprem/internal/chartsource"
	"k3s-onprem/internal/hoststep"
	"k3s-onprem/internal/hoststep/steptest"
	"k3s-onprem/internal/plan"
)

const testToken = "resp0nderT0ken"

// planFalco runs NewFalco alone under mocks, with a responder.
func planFalco(t *testing.T, mode string) *plan.Plan {
	t.Helper()
	return planFalcoCharts(t, mode, chartsource.Source{})
}

// planFalcoCharts is planFalco with the charts from src.
func planFalcoCharts(t *testing.T, mode string, src chartsource.Source) *plan.Plan {
	t.Helper()
	p, err := plan.Run("k3s-onprem", "unit", map[string]string{}, nil, func(ctx *pulumi.Context) error {
		prov, err := kubernetes.NewProvider(ctx, "k8s", &kubernetes.ProviderArgs{})
		if err != nil {
			return err
		}
		// Stands for the podsecurity layer, which creates Falco's
		// namespaces from the registry.
		ns, err := corev1.NewNamespace(ctx, "podsecurity-ns", &corev1.NamespaceArgs{})
		if err != nil {
			return err
		}
		_, err = NewFalco(ctx, "unit-falco", &Args{
			Mode: mode, Version: "0.42.1", ServiceCIDR: "10.43.0.0/16",
			NamespacesReady: []pulumi.Resource{ns},
			Nodes: []Node{
				{Name: "s1", Server: true, Target: hoststep.Target{Node: "s1", Connection: remote.ConnectionArgs{Host: pulumi.String("10.0.0.1")}}},
				{Name: "a1", Target: hoststep.Target{Node: "a1", Connection: remote.ConnectionArgs{Host: pulumi.String("10.0.0.2")}}},
			},
			Outputs:    []Output{{Type: "slack", MinPriority: "warning"}},
			OutputURLs: map[string]pulumi.StringInput{"slack": pulumi.ToSecret(pulumi.String("https://hooks.example/secret-slack")).(pulumi.StringOutput)},
			Responder: &ResponderArgs{
				URL:   pulumi.String("https://192.168.122.100:2801/falco"),
				Token: pulumi.ToSecret(pulumi.String(testToken)).(pulumi.StringOutput),
				CAPEM: pulumi.String("-----BEGIN CERTIFICATE-----\nca\n-----END CERTIFICATE-----\n"),
			},
			KubeProvider: prov,
			Charts:       src,
		})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestNewFalco_ResponderWebhookIsAuthenticatedAndSecret(t *testing.T) {
	p := planFalco(t, ModeHost)
	rel := p.Named("kubernetes:helm.sh/v3:Release", "unit-falco-sidekick")
	if rel == nil {
		t.Fatal("no sidekick release")
	}
	webhook := rel.Inputs["values"]
	for _, k := range []string{"config", "webhook"} {
		webhook = plan.Unwrap(webhook).ObjectValue()[resource.PropertyKey(k)]
	}
	w := plan.Unwrap(webhook).ObjectValue()
	if h := w["customHeaders"]; !h.ContainsSecrets() || !strings.Contains(plan.Unwrap(h).StringValue(), "Authorization:Bearer "+testToken) {
		t.Errorf("customHeaders %v: want a secret bearer header", h)
	}
	if a := plan.Unwrap(w["address"]).StringValue(); a != "https://192.168.122.100:2801/falco" {
		t.Errorf("webhook address %q", a)
	}
	if p.Named("kubernetes:core/v1:ConfigMap", "unit-falco-responder-ca") == nil {
		t.Error("the responder CA is not mounted into sidekick")
	}
	steptest.NoneInClear(t, p, testToken)
	steptest.NoneInClear(t, p, "secret-slack")
}

func TestNewFalco_HostModeHasNoSensorReleases(t *testing.T) {
	p := planFalco(t, ModeHost)
	if n := len(p.OfType("kubernetes:helm.sh/v3:Release")); n != 1 {
		t.Errorf("%d releases in host mode, want only falcosidekick", n)
	}
	for _, n := range []string{"s1", "a1"} {
		if p.Named("command:remote:Command", n+"-falco") == nil {
			t.Errorf("%s: no Falco host step", n)
		}
	}
	svc := p.Named("kubernetes:core/v1:Service", "unit-falco-sidekick-nodes")
	if svc == nil {
		t.Fatal("no fixed sidekick Service")
	}
	if ip := plan.Unwrap(plan.Unwrap(svc.Inputs["spec"]).ObjectValue()["clusterIP"]).StringValue(); ip != "10.43.0.12" {
		t.Errorf("sidekick ClusterIP %q, want 10.43.0.12", ip)
	}
}

func TestNewFalco_DaemonSetModeRunsAsReadOnlyIdentity(t *testing.T) {
	p := planFalco(t, ModeDaemonSet)
	if p.Named("command:remote:Command", "s1-falco") != nil {
		t.Error("daemonset mode installs the host package")
	}
	b := p.Named("kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding", "unit-falco-reader-binding")
	if b == nil {
		t.Fatal("no reader binding")
	}
	subj := plan.Unwrap(plan.Unwrap(b.Inputs["subjects"]).ArrayValue()[0]).ObjectValue()
	if ns := plan.Unwrap(subj["namespace"]).StringValue(); ns != SensorNamespace {
		t.Errorf("identity in %q, want %s (where the sensors run)", ns, SensorNamespace)
	}
	if _, err := plan.Run("k3s-onprem", "unit", map[string]string{}, nil, func(ctx *pulumi.Context) error {
		_, err := NewFalco(ctx, "x", &Args{Mode: ModeDaemonSet, Version: "0.42.1", ServiceCIDR: "10.43.0.0/16"})
		return err
	}); err == nil {
		t.Error("daemonset mode without a Kubernetes provider was accepted")
	}
}

// Falco creates no namespace or NetworkPolicy of its own (the podsecurity
// layer does, from the registry) and installs nothing before them.
func TestNewFalco_WaitsForTheRegistryNamespaces(t *testing.T) {
	for _, mode := range []string{ModeHost, ModeDaemonSet} {
		p := planFalco(t, mode)
		ns := p.Named("kubernetes:core/v1:Namespace", "podsecurity-ns")
		comp := p.Named(componentType, "unit-falco")
		for _, r := range p.Resources {
			if r.Parent != comp.URN || !strings.HasPrefix(r.Type, "kubernetes:") {
				continue
			}
			if r.Type == "kubernetes:core/v1:Namespace" || r.Type == "kubernetes:networking.k8s.io/v1:NetworkPolicy" {
				t.Errorf("%s: falco registers %s %s; namespaces and their policies are the podsecurity layer's", mode, r.Type, r.Name)
			}
			if !slices.Contains(r.DependsOn, ns.URN) {
				t.Errorf("%s: %s %s does not wait for the namespaces", mode, r.Type, r.Name)
			}
		}
	}
}

// An air-gapped site points the three releases (sidekick, and the falco
// chart twice in daemonset mode) at its mirror or at local archives.
func TestNewFalco_ChartSource(t *testing.T) {
	chartOf := func(p *plan.Plan, name string) [3]string {
		r := p.Named("kubernetes:helm.sh/v3:Release", name)
		if r == nil {
			t.Fatalf("no release %s", name)
		}
		repo := ""
		if o := plan.Unwrap(r.Inputs["repositoryOpts"]); o.IsObject() {
			repo = plan.Str(o.ObjectValue(), "repo")
		}
		return [3]string{plan.Str(r.Inputs, "chart"), plan.Str(r.Inputs, "version"), repo}
	}
	falcoChart, err := ChartVersion("0.42.1")
	if err != nil {
		t.Fatal(err)
	}
	up := planFalco(t, ModeDaemonSet)
	if got := chartOf(up, "unit-falco-sidekick"); got != [3]string{"falcosidekick", SidekickChartVersion, ChartRepo} {
		t.Errorf("upstream sidekick: %q", got)
	}
	oci := planFalcoCharts(t, ModeDaemonSet, chartsource.Source{Repository: "oci://harbor.example.internal/falcosecurity"})
	for name, want := range map[string][3]string{
		"unit-falco-sidekick":  {"oci://harbor.example.internal/falcosecurity/falcosidekick", SidekickChartVersion, ""},
		"unit-falco-daemonset": {"oci://harbor.example.internal/falcosecurity/falco", falcoChart, ""},
		"unit-falco-k8saudit":  {"oci://harbor.example.internal/falcosecurity/falco", falcoChart, ""},
	} {
		if got := chartOf(oci, name); got != want {
			t.Errorf("oci mirror %s: %q, want %q", name, got, want)
		}
	}
	local := planFalcoCharts(t, ModeDaemonSet, chartsource.Source{Archives: map[string]string{
		"falco": "/srv/charts/falco-" + falcoChart + ".tgz", "falcosidekick": "/srv/charts/falcosidekick-" + SidekickChartVersion + ".tgz",
	}})
	if got := chartOf(local, "unit-falco-daemonset"); got != [3]string{"/srv/charts/falco-" + falcoChart + ".tgz", "", ""} {
		t.Errorf("archive falco: %q", got)
	}
	if got := chartOf(local, "unit-falco-sidekick"); got != [3]string{"/srv/charts/falcosidekick-" + SidekickChartVersion + ".tgz", "", ""} {
		t.Errorf("archive sidekick: %q", got)
	}
}
