package policies

import (
	"context"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
)

// GuardStackName is the stack-level twin of GuardResourceName.
const GuardStackName = "policy-config-guard-stack"

// stackGuard runs last in AnalyzeStack. It sees both halves: stack policies
// that did not run in this AnalyzeStack and resource policies (including
// the resource guard) that never ran for any resource of the run. So
// disabling one guard alone still leaves the other reporting.
func stackGuard(env *Env, t *tracker, resourcePolicies, stackPolicies []string) policyx.StackValidationPolicy {
	return policyx.NewStackValidationPolicy(GuardStackName, policyx.StackValidationPolicyArgs{
		Description:      description("pack integrity (all CIS controls)", "on a production stack no policy of the pack may be disabled through policy config"),
		EnforcementLevel: policyx.EnforcementLevelMandatory,
		ValidateStack: func(_ context.Context, args policyx.StackValidationArgs) error {
			missing := t.endRun(resourcePolicies, stackPolicies)
			if env.Prod && len(missing) > 0 {
				args.Manager.ReportViolation(disabledMessage(env, missing), "")
			}
			return nil
		},
	})
}
