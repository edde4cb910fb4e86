package policies

import (
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
)

// GuardResourceName is the policy that refuses disabled resource policies on
// production stacks.
const GuardResourceName = "policy-config-guard"

// The resource guard runs after every other resource policy for each resource
// (policyx runs a resource's policies in pack order) and reports the ones
// that did not run: the engine skipped them because policy config set them
// to disabled. Only production stacks are judged; elsewhere disabling is a
// legitimate per-stack choice.
var _ = register(resourceRule{
	name:  GuardResourceName,
	order: guardOrder,
	level: policyx.EnforcementLevelMandatory,
	cis:   "pack integrity",
	what:  "on a production stack, no resource policy may be disabled through policy config (see below)",
	check: func(c *resourceCheck) {
		key := resourceKey(c.r)
		missing, report := c.pack.t.missingFor(key, others(c.pack.resourcePolicies, GuardResourceName))
		if c.env.Prod && report {
			c.mgr.ReportViolation(disabledMessage(c.env, missing), "")
		}
	},
})

// others returns names without self.
func others(names []string, self string) []string {
	var out []string
	for _, n := range names {
		if n != self {
			out = append(out, n)
		}
	}
	return out
}

func disabledMessage(env *Env, disabled []string) string {
	return "policy config disables " + strings.Join(disabled, ", ") + " on production stack " + env.Stack +
		": remove the `disabled` override from the stack's policy config (policy/config/" + env.Stack + ".json); " +
		"to accept a finding for a while, set that policy to advisory instead, which keeps it visible on every preview"
}
