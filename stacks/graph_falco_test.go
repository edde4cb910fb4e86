// The Falco phase as the prod stack wires it (moved here from
// components/falco: a component test does not import stacks).
package stacks_test

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"k3s-onprem/components/falco"
	"k3s-onprem/internal/hoststep/steptest"
	"k3s-onprem/internal/plan"
	"k3s-onprem/stacks"
)

// prodPlan runs the prod stack under mocks, optionally in daemonset mode.
func prodPlan(t *testing.T, mode string) *plan.Plan {
	t.Helper()
	p, err := stacks.PlanStack("..", "prod", func(raw map[string]string) {
		if mode != "" {
			raw["falco"] = `{"mode": "` + mode + `", "outputs": [{"type": "slack", "minPriority": "warning"}]}`
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func nodeNames(t *testing.T) (all []string, servers map[string]bool) {
	sf, err := stacks.ReadStackFile("../Pulumi.prod.yaml")
	if err != nil {
		t.Fatal(err)
	}
	sf.Raw[stacks.KeySSHPrivateKey] = stacks.Placeholder
	sf.Raw[stacks.KeyFalcoOutputURLs] = `{"slack":"x"}`
	spec, _ := stacks.Decode("prod", sf.Raw)
	servers = map[string]bool{}
	for _, n := range spec.Nodes {
		all = append(all, n.Name)
		servers[n.Name] = n.Role == stacks.RoleServer
	}
	return all, servers
}

func TestProd_FalcoStepOnEveryNodeAfterHostSteps(t *testing.T) {
	p := prodPlan(t, "")
	nodes, servers := nodeNames(t)
	for _, n := range nodes {
		step := p.Named("command:remote:Command", n+"-"+falco.StepName)
		if step == nil {
			t.Fatalf("%s: no Falco step", n)
		}
		host := p.Named("k3s-onprem:host:Host", n)
		// Every host step of the node comes first.
		for _, r := range p.OfType("command:remote:Command") {
			if r.Parent == host.URN && !p.DependsOnTransitively(step.URN, r.URN) {
				t.Errorf("%s runs before host step %s", step.Name, r.Name)
			}
		}
		var cfg string
		for _, c := range p.OfType("command:remote:CopyToRemote") {
			// Found by content: the staging layout is hoststep's business.
			if _, b, err := plan.CopiedFile(c); err == nil && strings.HasPrefix(c.Name, step.Name+"-copy-") &&
				strings.Contains(string(b), "rendered by falco.RenderConfig,") {
				cfg = string(b)
			}
		}
		if strings.Contains(cfg, "k8saudit") != servers[n] {
			t.Errorf("%s (server=%v): k8saudit in config = %v", n, servers[n], !servers[n])
		}
		if !strings.Contains(cfg, "http://10.44.0.12:2801/") {
			t.Errorf("%s: Falco does not post to the fixed sidekick ClusterIP:\n%s", n, cfg)
		}
		if strings.Contains(cfg, "nip.io") {
			t.Errorf("%s: config depends on nip.io", n)
		}
	}
}

func TestProd_SidekickPinnedAndURLsSecret(t *testing.T) {
	p := prodPlan(t, "")
	rels := p.OfType("kubernetes:helm.sh/v3:Release")
	var sidekick *plan.Resource
	for _, r := range rels {
		if plan.Str(r.Inputs, "chart") == "falcosidekick" {
			sidekick = r
		}
	}
	if sidekick == nil {
		t.Fatalf("no falcosidekick release among %d releases", len(rels))
	}
	if v := plan.Str(sidekick.Inputs, "version"); v != falco.SidekickChartVersion {
		t.Errorf("sidekick chart version %q, want %s", v, falco.SidekickChartVersion)
	}
	values := sidekick.Inputs["values"]
	slack := dig(values, "config", "slack", "webhookurl")
	if !slack.IsSecret() {
		t.Errorf("slack URL is not secret: %v", slack)
	}
	// The responder phase is on by default: sidekick posts to it with a
	// bearer token that stays secret.
	if h := dig(values, "config", "webhook", "customHeaders"); !h.ContainsSecrets() {
		t.Errorf("responder webhook header is not secret: %v", h)
	}
	if a := plan.Unwrap(dig(values, "config", "webhook", "address")); !a.IsString() || !strings.HasPrefix(a.StringValue(), "https://") {
		t.Errorf("responder webhook address %v, want the responder's https URL", a)
	}
	// The offline run's URL placeholder appears nowhere in the clear.
	steptest.NoneInClear(t, p, stacks.Placeholder)
	for _, r := range p.OfType("command:remote:Command") {
		for _, k := range []string{"create", "update", "delete"} {
			if strings.Contains(plan.Str(r.Inputs, k), stacks.Placeholder) {
				t.Errorf("%s: secret in %s text", r.Name, k)
			}
		}
	}
}

func TestProd_FalcoRBACReadOnly(t *testing.T) {
	for _, mode := range []string{"", "daemonset"} {
		p := prodPlan(t, mode)
		roles := 0
		for _, r := range append(p.OfType("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole"), p.OfType("kubernetes:rbac.authorization.k8s.io/v1:Role")...) {
			if !strings.Contains(r.Name, "falco") {
				continue
			}
			roles++
			for _, rule := range plan.Unwrap(r.Inputs["rules"]).ArrayValue() {
				for _, verb := range plan.Unwrap(plan.Unwrap(rule).ObjectValue()["verbs"]).ArrayValue() {
					if v := plan.Unwrap(verb).StringValue(); v != "get" && v != "list" && v != "watch" {
						t.Errorf("mode %q: %s grants %s", mode, r.Name, v)
					}
				}
			}
		}
		if roles == 0 {
			t.Errorf("mode %q: no Falco role", mode)
		}
		for _, b := range p.OfType("kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding") {
			if name := plan.Str(plan.Unwrap(b.Inputs["roleRef"]).ObjectValue(), "name"); name == "cluster-admin" {
				t.Errorf("mode %q: %s binds cluster-admin", mode, b.Name)
			}
		}
	}
}

func TestProd_DaemonSetModeUsesPinnedChart(t *testing.T) {
	p := prodPlan(t, "daemonset")
	if step := p.Named("command:remote:Command", "server-1-"+falco.StepName); step != nil {
		t.Error("daemonset mode still installs the host package")
	}
	want, _ := falco.ChartVersion(stacks.DefaultFalcoVersion) // the prod stack leaves falco.version unset
	n := 0
	for _, r := range p.OfType("kubernetes:helm.sh/v3:Release") {
		if plan.Str(r.Inputs, "chart") == "falco" {
			n++
			if v := plan.Str(r.Inputs, "version"); v != want {
				t.Errorf("%s: chart %q, want %s", r.Name, v, want)
			}
		}
	}
	if n != 2 {
		t.Errorf("%d falco releases, want the DaemonSet and the k8saudit listener", n)
	}
}

// dig follows object keys, keeping the secret marker of the last value.
func dig(v resource.PropertyValue, keys ...string) resource.PropertyValue {
	for _, k := range keys {
		v = plan.Unwrap(v).ObjectValue()[resource.PropertyKey(k)]
	}
	return v
}
