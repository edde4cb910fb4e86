package policies

import (
	"context"
	"slices"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
)

// policyCase is one input to one policy and what the policy must report.
// Each policy's cases sit in its file's _test.go twin (casesFor), and
// TestPolicies runs them all.
type policyCase struct {
	desc string
	// env adjusts the dev stack's Env (nil: the dev stack as it is).
	env func(e *Env)
	// r is the resource of a resource policy case; rs are further resources
	// (a stack policy sees all of them, a resource policy judges each).
	r  policyx.AnalyzerResource
	rs []policyx.AnalyzerResource
	// config holds the policy's config properties (--policy-pack-config).
	config map[string]any
	// disabled lists the policies the engine skips, as policy config
	// `disabled` makes it (the guards' cases).
	disabled []string
	// n is how many reports the policy must make: 0 for a compliant case,
	// more for a violating one.
	n int
	// contains must appear in every report.
	contains []string
}

// policyCases holds, per policy name, the function that builds its cases
// (a function, so fixtures may fail the test that builds them).
var policyCases = map[string]func(t *testing.T) []policyCase{}

// casesFor registers a policy's cases, for `var _ = casesFor(...)`.
func casesFor(policy string, build func(t *testing.T) []policyCase) bool {
	if _, dup := policyCases[policy]; dup {
		panic("second case list for " + policy)
	}
	policyCases[policy] = build
	return true
}

// TestPolicies runs every registered policy's cases through the pack as the
// engine evaluates it, and fails for a policy without at least one
// violating and one compliant case.
func TestPolicies(t *testing.T) {
	names := Names()
	for name := range policyCases {
		if !slices.Contains(names, name) {
			t.Errorf("cases for %s, which is no registered policy", name)
		}
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			build, ok := policyCases[name]
			if !ok {
				t.Fatalf("%s has no test cases: add casesFor(%q, ...) to its file's _test.go", name, name)
			}
			cases := build(t)
			violating, compliant := 0, 0
			for _, tc := range cases {
				if tc.n > 0 {
					violating++
				} else {
					compliant++
				}
			}
			if violating == 0 || compliant == 0 {
				t.Errorf("%s has %d violating and %d compliant cases, want at least one of each", name, violating, compliant)
			}
			for _, tc := range cases {
				t.Run(tc.desc, func(t *testing.T) {
					env := devEnv()
					if tc.env != nil {
						tc.env(&env)
					}
					rs := tc.rs
					if tc.r.Type != "" {
						rs = append([]policyx.AnalyzerResource{tc.r}, rs...)
					}
					disabled := map[string]bool{}
					for _, d := range tc.disabled {
						disabled[d] = true
					}
					got := runPack(t, env, disabled, map[string]map[string]any{name: tc.config}, rs...)
					wantReports(t, got[name], tc.n, tc.contains...)
				})
			}
		})
	}
}

// runPack evaluates a pack as policyx's server does: every resource through
// the resource policies in pack order, then the stack policies over all of
// them, skipping the policies in disabled, each policy with its config.
// It returns the reports per policy.
func runPack(t *testing.T, env Env, disabled map[string]bool, config map[string]map[string]any, rs ...policyx.AnalyzerResource) map[string][]string {
	t.Helper()
	pack, err := New(env)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, r := range rs {
		for _, p := range pack.Policies() {
			rp, ok := p.(policyx.ResourceValidationPolicy)
			if !ok || disabled[p.Name()] {
				continue
			}
			rec := &recorder{}
			if err := rp.Validate(context.Background(), policyx.ResourceValidationArgs{Manager: rec, Resource: r, Config: config[p.Name()]}); err != nil {
				t.Fatal(err)
			}
			out[p.Name()] = append(out[p.Name()], rec.msgs...)
		}
	}
	for _, p := range pack.Policies() {
		sp, ok := p.(policyx.StackValidationPolicy)
		if !ok || disabled[p.Name()] {
			continue
		}
		rec := &recorder{}
		if err := sp.Validate(context.Background(), policyx.StackValidationArgs{Manager: rec, Resources: rs}); err != nil {
			t.Fatal(err)
		}
		out[p.Name()] = append(out[p.Name()], rec.msgs...)
	}
	return out
}
