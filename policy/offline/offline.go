// Package offline evaluates the k3s-cis pack without the Pulumi engine,
// over a plan: the resources of the program run under Pulumi's mocks, which
// the caller produces (stacks.PlanStack). It mirrors policyx's analyzer server: resource
// policies per resource in pack order with their policy config, stack
// policies once with every resource, enforcement levels from policy config,
// disabled policies skipped. cmd/policycheck and the pack's stack tests use
// it, so `make render` and CI gate on the same code `pulumi preview` runs.
package offline

import (
	"context"
	"fmt"
	"sort"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

	"k3s-onprem/internal/plan"
	"k3s-onprem/policy/policies"
)

// Violation is one reported finding.
type Violation struct {
	Policy  string
	Level   policyx.EnforcementLevel
	URN     string
	Message string
}

// Stack is the pack's view of a planned stack (stacks.PlanStack, or any
// plan.Run): the Env from the stack config the program ran with and every
// registered resource. Planning stays with the callers, so this package
// judges a plan without depending on the program that produced it.
func Stack(p *plan.Plan) (policies.Env, []policyx.AnalyzerResource) {
	env := policies.EnvFromConfig(p.Stack, func(key string) (string, bool) {
		v, ok := p.Config[key]
		return v, ok
	})
	return env, Resources(p)
}

// Resources converts a plan's resources to what the engine sends an
// analyzer: type, URN, name, parent, dependencies and the inputs with
// secrets kept secret.
func Resources(p *plan.Plan) []policyx.AnalyzerResource {
	out := make([]policyx.AnalyzerResource, 0, len(p.Resources))
	for _, r := range p.Resources {
		out = append(out, policyx.AnalyzerResource{
			Type:         r.Type,
			URN:          r.URN,
			Name:         r.Name,
			Parent:       r.Parent,
			Dependencies: r.DependsOn,
			Properties:   resource.FromResourcePropertyMap(r.Inputs),
		})
	}
	return out
}

// Evaluate runs the pack over the resources as the engine would.
func Evaluate(ctx context.Context, pack policyx.PolicyPack, resources []policyx.AnalyzerResource, cfg map[string]policyx.PolicyConfig) ([]Violation, error) {
	var out []Violation
	levelOf := func(p policyx.Policy) (policyx.EnforcementLevel, map[string]any) {
		if c, ok := cfg[p.Name()]; ok {
			return c.EnforcementLevel, c.Properties
		}
		return p.EnforcementLevel(), nil
	}
	for _, r := range resources {
		for _, p := range pack.Policies() {
			rp, ok := p.(policyx.ResourceValidationPolicy)
			if !ok {
				continue
			}
			level, props := levelOf(p)
			if level == policyx.EnforcementLevelDisabled {
				continue
			}
			m := &collector{policy: p.Name(), level: level, urn: r.URN}
			err := rp.Validate(ctx, policyx.ResourceValidationArgs{Manager: m, Resource: r, Config: props})
			if err != nil {
				return nil, fmt.Errorf("policy %s on %s: %w", p.Name(), r.URN, err)
			}
			out = append(out, m.found...)
		}
	}
	for _, p := range pack.Policies() {
		sp, ok := p.(policyx.StackValidationPolicy)
		if !ok {
			continue
		}
		level, _ := levelOf(p)
		if level == policyx.EnforcementLevelDisabled {
			continue
		}
		m := &collector{policy: p.Name(), level: level}
		if err := sp.Validate(ctx, policyx.StackValidationArgs{Manager: m, Resources: resources}); err != nil {
			return nil, fmt.Errorf("policy %s: %w", p.Name(), err)
		}
		out = append(out, m.found...)
	}
	return out, nil
}

// collector is the PolicyManager of one policy call.
type collector struct {
	policy string
	level  policyx.EnforcementLevel
	urn    string
	found  []Violation
}

func (c *collector) ReportViolation(message, urn string) {
	if urn == "" {
		urn = c.urn
	}
	c.found = append(c.found, Violation{Policy: c.policy, Level: c.level, URN: urn, Message: message})
}

// Enforcing reports whether a level stops the update, as the engine
// orders levels: remediate >= mandatory > advisory > disabled. A remediate
// policy without a remediation (all of this pack's policies validate only)
// fails the update like a mandatory one.
func Enforcing(l policyx.EnforcementLevel) bool {
	return l == policyx.EnforcementLevelMandatory || l == policyx.EnforcementLevelRemediate
}

// Mandatory counts the violations that stop an update (mandatory or
// remediate).
func Mandatory(vs []Violation) int {
	n := 0
	for _, v := range vs {
		if Enforcing(v.Level) {
			n++
		}
	}
	return n
}

// Policies returns the names of the violated policies, sorted and unique.
func Policies(vs []Violation) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range vs {
		if !seen[v.Policy] {
			seen[v.Policy] = true
			out = append(out, v.Policy)
		}
	}
	sort.Strings(out)
	return out
}
