// Package policies is the k3s-cis CrossGuard pack: one CIS check per file,
// each built from a rule so the compiled pack (policy/main.go), the offline
// check (cmd/policycheck) and the tests run the very same code.
//
// A policy file declares its rule (name, order, default enforcement level,
// CIS ID, what it checks) and registers it (registry.go); its test cases
// sit in the file's _test.go twin and the README row is generated from the
// rule (readme.go). Levels can be lowered per stack with Pulumi policy
// config (`--policy-pack-config`); on production stacks a
// `disabled` override is refused: by the guard policies at run time
// (guard_resource.go, guard_stack.go) and by offline.CheckConfig before an
// offline check.
package policies

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/blang/semver"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
)

// PackName is the policy pack's name as the Pulumi engine reports it.
const PackName = "k3s-cis"

// Version is the pack version; bump it when a policy changes meaning.
var Version = semver.MustParse("0.1.0")

// resourceRule is one per-resource check: everything about the policy is
// declared here, and the pack, the README table and the tests read it.
type resourceRule struct {
	name string
	// order is the policy's position in the pack, ascending over resource
	// and stack rules alike (steps of 10 leave room to insert). policyx runs
	// a resource's policies in pack order, and the guards judge what ran
	// before them, so they take the highest orders (guardOrder); the
	// registry test checks that orders are unique and the guards last.
	order int
	// level is the policy's default enforcement level; per-stack policy
	// config may lower it (production stacks may not disable it).
	level policyx.EnforcementLevel
	// cis names the benchmark control(s), e.g. "k3s CIS 1.2.1".
	cis string
	// what says in one sentence what the policy requires, in Markdown: the
	// README row shows it as written, the engine gets it without backticks.
	what   string
	schema *policyx.ConfigSchema
	check  func(c *resourceCheck)
}

// stackRule is one whole-stack check, declared like a resourceRule. It has
// no config schema: policyx passes policy config properties to resource
// policies only.
type stackRule struct {
	name      string
	order     int
	level     policyx.EnforcementLevel
	cis, what string
	check     func(c *stackCheck)
}

// resourceCheck is what a resource rule sees.
type resourceCheck struct {
	env   *Env
	pack  *packRun
	r     policyx.AnalyzerResource
	props property.Map
	cfg   map[string]any
	mgr   policyx.PolicyManager
}

func (c *resourceCheck) report(format string, a ...any) {
	c.mgr.ReportViolation(fmt.Sprintf(format, a...), "")
}

// stackCheck is what a stack rule sees.
type stackCheck struct {
	env       *Env
	pack      *packRun
	resources []policyx.AnalyzerResource
	mgr       policyx.PolicyManager
}

func (c *stackCheck) report(urn, format string, a ...any) {
	c.mgr.ReportViolation(fmt.Sprintf(format, a...), urn)
}

// description is what the engine shows for a policy: the README's words
// without Markdown.
func description(cis, what string) string { return cis + ": " + strings.ReplaceAll(what, "`", "") }

// packRun is what the guards need of one pack instance: the record of the
// policies that ran and the names of the pack's policies by kind.
type packRun struct {
	t                               *tracker
	resourcePolicies, stackPolicies []string
}

// New builds the pack for one stack from the registered rules, in their
// order. Each call has its own guard state, so the engine's one pack per
// ConfigureStack never shares state across runs of different stacks.
func New(env Env) (policyx.PolicyPack, error) {
	env.normalize()
	run := &packRun{t: newTracker()}
	rs, ss := registered()
	for _, r := range rs {
		run.resourcePolicies = append(run.resourcePolicies, r.name)
	}
	for _, s := range ss {
		run.stackPolicies = append(run.stackPolicies, s.name)
	}
	var ps []policyx.Policy
	for _, e := range ordered(rs, ss) {
		switch {
		case e.resource != nil:
			ps = append(ps, e.resource.policy(&env, run))
		default:
			ps = append(ps, e.stack.policy(&env, run))
		}
	}
	// The pack-level level is ignored by policyx: each policy carries its own.
	return policyx.NewPolicyPack(PackName, Version, policyx.EnforcementLevelMandatory, ps)
}

// Factory is the policyx entry point: the engine calls it from
// ConfigureStack with the stack's name and config.
func Factory(pctx *pulumi.Context) (policyx.PolicyPack, error) {
	return New(EnvFromConfig(pctx.Stack(), pctx.GetConfig))
}

// Names lists every policy of the pack in evaluation order.
func Names() []string {
	var out []string
	for _, e := range ordered(registered()) {
		out = append(out, e.name)
	}
	return out
}

func (r resourceRule) policy(env *Env, run *packRun) policyx.ResourceValidationPolicy {
	return policyx.NewResourceValidationPolicy(r.name, policyx.ResourceValidationPolicyArgs{
		Description:      description(r.cis, r.what),
		EnforcementLevel: r.level,
		ConfigSchema:     r.schema,
		ValidateResource: func(_ context.Context, args policyx.ResourceValidationArgs) error {
			run.t.ranResource(resourceKey(args.Resource), r.name)
			r.check(&resourceCheck{env: env, pack: run, r: args.Resource, props: args.Resource.Properties, cfg: args.Config, mgr: args.Manager})
			return nil
		},
	})
}

func (s stackRule) policy(env *Env, run *packRun) policyx.StackValidationPolicy {
	return policyx.NewStackValidationPolicy(s.name, policyx.StackValidationPolicyArgs{
		Description:      description(s.cis, s.what),
		EnforcementLevel: s.level,
		ValidateStack: func(_ context.Context, args policyx.StackValidationArgs) error {
			run.t.ranStack(s.name)
			s.check(&stackCheck{env: env, pack: run, resources: args.Resources, mgr: args.Manager})
			return nil
		},
	})
}

// resourceKey identifies a resource within one run. The engine always sends
// a URN; hand-built test resources may only have a type and name.
func resourceKey(r policyx.AnalyzerResource) string {
	if r.URN != "" {
		return r.URN
	}
	return r.Type + "::" + r.Name
}

// typeIn reports whether the resource's type token is one of types.
func (c *resourceCheck) typeIn(types ...string) bool { return slices.Contains(types, c.r.Type) }
