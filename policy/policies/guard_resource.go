package policies

import (
	"context"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
)

// GuardResourceName is the policy that refuses disabled resource policies on
// production stacks.
const GuardResourceName = "policy-config-guard"

// resourceGuard runs after every other resource policy for each resource
// (policyx runs a resource's policies in pack order) and reports the ones
// that did not run: the engine skipped them because policy config set them
// to disabled. Only production stacks are judged; elsewhere disabling is a
// legitimate per-stack choice.
func resourceGuard(env *Env, t *tracker, guarded []string) policyx.ResourceValidationPolicy {
	return policyx.NewResourceValidationPolicy(GuardResourceName, policyx.ResourceValidationPolicyArgs{
		Description:      description("pack integrity (all CIS controls)", "on a production stack no policy of the pack may be disabled through policy config"),
		EnforcementLevel: policyx.EnforcementLevelMandatory,
		ValidateResource: func(_ context.Context, args policyx.ResourceValidationArgs) error {
			key := resourceKey(args.Resource)
			t.ranResource(key, GuardResourceName)
			missing, report := t.missingFor(key, guarded)
			if env.Prod && report {
				args.Manager.ReportViolation(disabledMessage(env, missing), "")
			}
			return nil
		},
	})
}

func disabledMessage(env *Env, disabled []string) string {
	return "policy config disables " + strings.Join(disabled, ", ") + " on production stack " + env.Stack +
		": remove the `disabled` override from the stack's policy config (policy/config/" + env.Stack + ".json); " +
		"to accept a finding for a while, set that policy to advisory instead, which keeps it visible on every preview"
}
