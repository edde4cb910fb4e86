package stacks

import (
	"sort"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"k3s-onprem/components/responder"
	"k3s-onprem/internal/plan"
	core "k3s-onprem/internal/responder"
)

// TestGraph_ResponderProtectsEveryNamespaceTheProgramCreates runs the
// program in every mode that changes which namespaces exist (Falco on the
// hosts or as a DaemonSet, pod security by PSA or PSP, MetalLB and the
// ingress controllers on or off) and checks that the configuration each
// server's responder gets refuses every namespace the plan creates and
// every namespace a Helm release of the program installs into. The list is
// taken from the plan, not from the code that builds the configuration, so
// a component that adds a namespace fails here until the responder
// protects it (issue 13: falco-system was missed).
func TestGraph_ResponderProtectsEveryNamespaceTheProgramCreates(t *testing.T) {
	modes := map[string]func(raw map[string]string){
		"falco host": func(raw map[string]string) {
			raw["falco"] = `{"mode": "host", "outputs": [{"type": "slack", "minPriority": "warning"}]}`
		},
		"falco daemonset": func(raw map[string]string) {
			raw["falco"] = `{"mode": "daemonset", "outputs": [{"type": "slack", "minPriority": "warning"}]}`
		},
		"psp": func(raw map[string]string) {
			raw["k3s"] = `{"version": "v1.24.17+k3s1"}`
			raw["podSecurity"] = `{"mode": "psp"}`
		},
		"no load balancer, no ingress": func(raw map[string]string) {
			raw["loadBalancer"] = `{"enabled": false}`
			raw["ingress"] = `{"external": {"enabled": false}, "internal": {"enabled": false}}`
		},
	}
	for name, override := range modes {
		t.Run(name, func(t *testing.T) {
			p, err := PlanStack("..", "prod", override)
			if err != nil {
				t.Fatalf("plan: %v", err)
			}
			created := createdNamespaces(p)
			if len(created) < 2 {
				t.Fatalf("the plan creates only %v", created)
			}
			spec := prodSpec(t)
			steps := 0
			for _, n := range spec.Servers() {
				step := n.Name + "-" + responder.StepName
				if p.Named(cmdType, step) == nil {
					continue
				}
				steps++
				cfg, err := core.ParseConfig([]byte(copiedFile(t, p, step, responder.ConfigPath)))
				if err != nil {
					t.Fatalf("%s: rendered config: %v", step, err)
				}
				for _, ns := range created {
					if got := cfg.NamespaceSkipReason(ns); got != core.ReasonProtectedNamespace {
						t.Errorf("%s: the program creates namespace %s, the responder answers %q for it", step, ns, got)
					}
				}
			}
			if steps == 0 {
				t.Fatal("no responder step in the plan")
			}
			t.Logf("protected: %v", created)
		})
	}
}

// createdNamespaces are the Namespace objects the plan registers and the
// namespaces its Helm releases install into.
func createdNamespaces(p *plan.Plan) []string {
	seen := map[string]bool{}
	for _, r := range p.Resources {
		var ns string
		switch {
		case r.Type == "kubernetes:core/v1:Namespace":
			if m := plan.Unwrap(r.Inputs["metadata"]); m.IsObject() {
				ns = plan.Str(m.ObjectValue(), "name")
			}
		case r.Type == "kubernetes:helm.sh/v3:Release" || r.Type == "kubernetes:helm.sh/v4:Chart":
			ns = plan.Str(r.Inputs, "namespace")
		}
		if ns != "" {
			seen[ns] = true
		}
	}
	var out []string
	for ns := range seen {
		out = append(out, ns)
	}
	sort.Strings(out)
	return out
}

// Falco's and the responder's namespaces moved into the podsecurity layer.
// An update must adopt the existing objects (an alias to their old URN),
// not create new ones and delete the old: deleting a Namespace deletes
// everything in it. Each adopted name must be a resource the layer
// registers, and each old URN is the one the previous release recorded
// (out/prod/resources.txt before the namespace registry).
func TestGraph_PodSecurityAdoptsTheMovedNamespaces(t *testing.T) {
	const prefix = "urn:pulumi:prod::k3s-onprem::"
	cases := map[string]struct {
		override func(raw map[string]string)
		want     map[string]string
	}{
		"falco host": {nil, map[string]string{
			"namespace-falco":                            prefix + "k3s-onprem:falco:Falco$kubernetes:core/v1:Namespace::prod-falco-ns",
			"networkpolicy-falco-default-deny":           prefix + "k3s-onprem:falco:Falco$kubernetes:networking.k8s.io/v1:NetworkPolicy::prod-falco-netpol-default-deny",
			"namespace-falco-responder":                  prefix + "k3s-onprem:responder:Responder$kubernetes:core/v1:Namespace::prod-responder-namespace",
			"networkpolicy-falco-responder-default-deny": prefix + "k3s-onprem:responder:Responder$kubernetes:networking.k8s.io/v1:NetworkPolicy::prod-responder-default-deny",
		}},
		"falco daemonset": {func(raw map[string]string) {
			raw["falco"] = `{"mode": "daemonset", "outputs": [{"type": "slack", "minPriority": "warning"}]}`
		}, map[string]string{
			"namespace-falco-system":                  prefix + "k3s-onprem:falco:Falco$kubernetes:core/v1:Namespace::prod-falco-sensors-ns",
			"networkpolicy-falco-system-default-deny": prefix + "k3s-onprem:falco:Falco$kubernetes:networking.k8s.io/v1:NetworkPolicy::prod-falco-sensors-netpol-default-deny",
		}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			p, err := PlanStack("..", "prod", c.override)
			if err != nil {
				t.Fatal(err)
			}
			spec := prodSpec(t)
			if c.override != nil {
				sf, err := ReadStackFile("../Pulumi.prod.yaml")
				if err != nil {
					t.Fatal(err)
				}
				sf.Raw[KeySSHPrivateKey] = Placeholder
				sf.Raw[KeyFalcoOutputURLs] = `{"slack":"x"}`
				c.override(sf.Raw)
				var v Validation
				if spec, v = Decode("prod", sf.Raw); v.Err() != nil {
					t.Fatal(v.Err())
				}
			}
			var adopted map[string]pulumi.URN
			if err := pulumi.RunErr(func(ctx *pulumi.Context) error {
				adopted = adoptedNamespaces(ctx, spec)
				return nil
			}, pulumi.WithMocks(Project, "prod", nopMocks{})); err != nil {
				t.Fatal(err)
			}
			for res, urn := range c.want {
				if string(adopted[res]) != urn {
					t.Errorf("%s adopts %q, want %q", res, adopted[res], urn)
				}
			}
			ps := p.Named("k3s-onprem:podsecurity:PodSecurity", "prod-podsecurity")
			for res := range adopted {
				found := false
				for _, r := range p.Resources {
					found = found || (r.Parent == ps.URN && r.Name == res)
				}
				if !found {
					t.Errorf("adopted %s is not a resource of the podsecurity layer", res)
				}
			}
		})
	}
}
