package policies

import "github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

// GuardStackName is the stack-level twin of GuardResourceName.
const GuardStackName = "policy-config-guard-stack"

// The stack guard runs last in AnalyzeStack. It sees both halves: stack policies
// that did not run in this AnalyzeStack and resource policies (including
// the resource guard) that never ran for any resource of the run. So
// disabling one guard alone still leaves the other reporting.
var _ = register(stackRule{
	name:  GuardStackName,
	order: guardOrder + 10,
	level: policyx.EnforcementLevelMandatory,
	cis:   "pack integrity",
	what:  "on a production stack, no policy (resource or stack, including the other guard) may be disabled",
	check: func(c *stackCheck) {
		missing := c.pack.t.endRun(c.pack.resourcePolicies, others(c.pack.stackPolicies, GuardStackName))
		if c.env.Prod && len(missing) > 0 {
			c.mgr.ReportViolation(disabledMessage(c.env, missing), "")
		}
	},
})
