package stacks

import (
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"k3s-onprem/components/host"
	"k3s-onprem/internal/plan"
)

func planStack(t testing.TB, stack string, override func(map[string]string)) *plan.Plan {
	t.Helper()
	p, err := PlanStack("..", stack, override)
	if err != nil {
		t.Fatalf("%s: %v", stack, err)
	}
	return p
}

// hostStepNames is the step chain every node runs with the stacks' settings.
func hostStepNames(t *testing.T, spec *ClusterSpec, n Node) []string {
	steps, err := host.HostSteps(hostSteps(n, spec))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range steps {
		names = append(names, s.Name)
	}
	return names
}

func TestGraph_HostStepChain(t *testing.T) {
	for _, stack := range []string{"dev", "prod"} {
		t.Run(stack, func(t *testing.T) {
			p := planStack(t, stack, nil)
			sf, _ := ReadStackFile("../Pulumi." + stack + ".yaml")
			sf.Raw[KeySSHPrivateKey] = Placeholder
			sf.Raw[KeyFalcoOutputURLs] = `{"slack":"x"}`
			spec, _ := Decode(stack, sf.Raw)
			for _, n := range spec.Nodes {
				comp := p.Named("k3s-onprem:host:Host", n.Name)
				if comp == nil {
					t.Fatalf("no Host component for %s", n.Name)
				}
				if plan.Str(comp.Inputs, "role") != n.Role {
					t.Errorf("%s: component inputs not recorded (role %q)", n.Name, plan.Str(comp.Inputs, "role"))
				}
				var prev *plan.Resource
				for _, step := range hostStepNames(t, spec, n) {
					cmd := p.Named("command:remote:Command", n.Name+"-"+step)
					if cmd == nil {
						t.Fatalf("%s: no command for step %s", n.Name, step)
					}
					if cmd.Parent != comp.URN {
						t.Errorf("%s: parent %s, want the Host component", cmd.Name, cmd.Parent)
					}
					if prev != nil && !contains(cmd.DependsOn, prev.URN) {
						t.Errorf("%s does not depend on %s", cmd.Name, prev.Name)
					}
					copies := 0
					for _, c := range p.OfType("command:remote:CopyToRemote") {
						if strings.HasPrefix(c.Name, cmd.Name+"-copy-") {
							copies++
							if !contains(cmd.DependsOn, c.URN) {
								t.Errorf("%s runs before its file %s is copied", cmd.Name, c.Name)
							}
						}
					}
					if copies == 0 {
						t.Errorf("%s copies no files (not even its script)", cmd.Name)
					}
					prev = cmd
				}
			}
		})
	}
}

func TestGraph_ConnectionsAreSecretAndPinned(t *testing.T) {
	for _, stack := range []string{"dev", "prod"} {
		p := planStack(t, stack, nil)
		for _, r := range p.Resources {
			if !strings.HasPrefix(r.Type, "command:remote:") {
				continue
			}
			conn, ok := r.Inputs["connection"]
			if !ok || !conn.ContainsSecrets() {
				t.Errorf("%s/%s: connection is not secret", stack, r.Name)
			}
			if plan.Str(plan.Connection(r), "hostKey") == "" {
				t.Errorf("%s/%s: host key not pinned", stack, r.Name)
			}
		}
	}
}

// secretValues are the values the offline run injects for secrets; none
// may appear in command text or in a plain (non-secret) input.
var secretValues = []string{Placeholder, plan.MockSecretPrefix}

func TestGraph_NoSecretInCommandText(t *testing.T) {
	for _, stack := range []string{"dev", "prod"} {
		p := planStack(t, stack, nil)
		for _, r := range p.OfType("command:remote:Command") {
			for _, key := range []string{"create", "update", "delete"} {
				text := plan.Str(r.Inputs, key)
				for _, s := range secretValues {
					if strings.Contains(text, s) {
						t.Errorf("%s/%s: secret in %s text", stack, r.Name, key)
					}
				}
			}
			if env, ok := r.Inputs["environment"]; ok && !env.IsNull() {
				t.Errorf("%s/%s: uses environment variables (secrets must go through stdin)", stack, r.Name)
			}
		}
		for _, r := range p.Resources {
			for k, v := range r.Inputs {
				if leaksPlainSecret(v) {
					t.Errorf("%s/%s: input %s holds a secret value without the secret marker", stack, r.Name, k)
				}
			}
		}
	}
}

// leaksPlainSecret reports a known secret value outside a secret wrapper.
func leaksPlainSecret(v resource.PropertyValue) bool {
	switch {
	case v.IsSecret():
		return false
	case v.IsString():
		for _, s := range secretValues {
			if strings.Contains(v.StringValue(), s) {
				return true
			}
		}
	case v.IsArray():
		for _, e := range v.ArrayValue() {
			if leaksPlainSecret(e) {
				return true
			}
		}
	case v.IsObject():
		for _, e := range v.ObjectValue() {
			if leaksPlainSecret(e) {
				return true
			}
		}
	case v.IsOutput():
		return !v.OutputValue().Secret && leaksPlainSecret(v.OutputValue().Element)
	}
	return false
}

// registrations counts what a program registers under mocks, so a failing
// run can be checked for "nothing registered" (plan.Run returns no plan
// on error).
type registrations struct {
	mu    sync.Mutex
	names []string
}

func (r *registrations) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	r.mu.Lock()
	r.names = append(r.names, args.TypeToken+"::"+args.Name)
	r.mu.Unlock()
	return args.Name + "-id", args.Inputs, nil
}

func (r *registrations) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	r.mu.Lock()
	r.names = append(r.names, "invoke::"+args.Token)
	r.mu.Unlock()
	return args.Args, nil
}

func TestGraph_InvalidConfigRegistersNothing(t *testing.T) {
	sf, err := ReadStackFile("../Pulumi.dev.yaml")
	if err != nil {
		t.Fatal(err)
	}
	sf.withPlaceholders()
	sf.Raw["vip"] = `{"address": "10.203.0.11"}`
	sf.Raw["k3s"] = `{"version": "stable"}`
	cfg := map[string]string{}
	for k, v := range sf.Raw {
		cfg[Project+":"+k] = v
	}
	reg := &registrations{}
	err = pulumi.RunErr(Run, pulumi.WithMocks(Project, "dev", reg), func(ri *pulumi.RunInfo) {
		ri.Config = cfg
		ri.ConfigSecretKeys = []string{Project + ":" + KeySSHPrivateKey, Project + ":" + KeyFalcoOutputURLs}
		ri.DryRun = true
	})
	if err == nil {
		t.Fatal("invalid config accepted")
	}
	// Both problems at once, each naming its key path and the fix.
	want := []string{
		invalidConfigVIPAddress,
		invalidConfigK3sVersion,
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error does not say %q:\n%v", w, err)
		}
	}
	if n := strings.Count(err.Error(), "\n  - "); n != len(want) || !strings.Contains(err.Error(), "invalid stack configuration (2 problems):") {
		t.Errorf("error lists %d problems, want exactly %d:\n%v", n, len(want), err)
	}
	if len(reg.names) > 0 {
		t.Errorf("registered %d resources or invokes before failing: %v", len(reg.names), reg.names)
	}
}

// The exact problems TestGraph_InvalidConfigRegistersNothing expects.
const (
	invalidConfigVIPAddress = `vip.address: Invalid value: "10.203.0.11": equals nodes[0] (dev-server-1)'s address; pick a free address`
	invalidConfigK3sVersion = `k3s.version: Invalid value: "stable": must be a full k3s release tag like v1.34.4+k3s1; channels such as stable or latest are not pinned`
)
