// Package policies is the k3s-cis CrossGuard pack: one CIS check per file,
// each built from a rule (name, CIS ID, what it checks) so
// the compiled pack (policy/main.go), the offline check (cmd/policycheck)
// and the tests run the very same code.
//
// Every policy is mandatory by default and can be lowered per stack with
// Pulumi policy config (`--policy-pack-config`); on production stacks a
// `disabled` override is refused: by the guard policies at run time
// (guard_resource.go, guard_stack.go) and by offline.CheckConfig before an
// offline check.
package policies

import (
	"context"
	"fmt"
	"slices"

	"github.com/blang/semver"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
)

// PackName is the policy pack's name as the Pulumi engine reports it.
const PackName = "k3s-cis"

// Version is the pack version; bump it when a policy changes meaning.
var Version = semver.MustParse("0.1.0")

// resourceRule is one per-resource check before it becomes a policyx policy.
type resourceRule struct {
	name string
	// cis names the benchmark control(s), e.g. "k3s CIS 1.2.1".
	cis string
	// what says in one sentence what the policy requires.
	what   string
	schema *policyx.ConfigSchema
	check  func(c *resourceCheck)
}

// stackRule is one whole-stack check. It has no config schema: policyx
// passes policy config properties to resource policies only.
type stackRule struct {
	name, cis, what string
	check           func(c *stackCheck)
}

// resourceCheck is what a resource rule sees.
type resourceCheck struct {
	env   *Env
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
	resources []policyx.AnalyzerResource
	mgr       policyx.PolicyManager
}

func (c *stackCheck) report(urn, format string, a ...any) {
	c.mgr.ReportViolation(fmt.Sprintf(format, a...), urn)
}

func description(cis, what string) string { return cis + ": " + what }

// resourceRules and stackRules are the pack, in evaluation order. The guards
// are appended last by New because they judge what ran before them.
var (
	resourceRules = []resourceRule{
		sshHostKeyPinned,
		sshNoPasswordAuth,
		sshBastionComplete,
		secretsMarkedSecret,
		k3sVersionPinned,
		k3sProtectKernelDefaults,
		k3sSecretsEncryption,
		k3sAuditLog,
		k3sPSAAdmission,
		k3sAnonymousAuth,
		k3sTLSCipherSuites,
		k3sStreamingIdleTimeout,
		k3sSATokenExpiration,
		k3sKubeconfigMode,
		k3sVIPInTLSSAN,
		k8sNamespacePSALabels,
		k8sNoClusterAdminBinding,
		k8sNoUnauthenticatedBinding,
	}
	stackRules = []stackRule{
		k8sNoPrivilegedContainers,
		k8sNoHostNamespaces,
		k8sNoHostPathVolumes,
		k8sNoAddedCapabilities,
		k8sNamespaceNetworkPolicy,
		k8sSecurityIdentitiesLeastPrivilege,
	}
)

// New builds the pack for one stack. Each call has its own guard state, so
// the engine's one pack per ConfigureStack never shares state across runs
// of different stacks.
func New(env Env) (policyx.PolicyPack, error) {
	env.normalize()
	t := newTracker()
	var ps []policyx.Policy
	var resourceNames, stackNames []string
	for _, r := range resourceRules {
		ps = append(ps, r.policy(&env, t))
		resourceNames = append(resourceNames, r.name)
	}
	for _, s := range stackRules {
		ps = append(ps, s.policy(&env, t))
		stackNames = append(stackNames, s.name)
	}
	ps = append(ps,
		resourceGuard(&env, t, resourceNames),
		stackGuard(&env, t, append(resourceNames, GuardResourceName), stackNames))
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
	for _, r := range resourceRules {
		out = append(out, r.name)
	}
	for _, s := range stackRules {
		out = append(out, s.name)
	}
	return append(out, GuardResourceName, GuardStackName)
}

func (r resourceRule) policy(env *Env, t *tracker) policyx.ResourceValidationPolicy {
	return policyx.NewResourceValidationPolicy(r.name, policyx.ResourceValidationPolicyArgs{
		Description: description(r.cis, r.what),
		// The pack-level level is ignored by policyx, so every policy sets its own.
		EnforcementLevel: policyx.EnforcementLevelMandatory,
		ConfigSchema:     r.schema,
		ValidateResource: func(_ context.Context, args policyx.ResourceValidationArgs) error {
			t.ranResource(resourceKey(args.Resource), r.name)
			r.check(&resourceCheck{env: env, r: args.Resource, props: args.Resource.Properties, cfg: args.Config, mgr: args.Manager})
			return nil
		},
	})
}

func (s stackRule) policy(env *Env, t *tracker) policyx.StackValidationPolicy {
	return policyx.NewStackValidationPolicy(s.name, policyx.StackValidationPolicyArgs{
		Description:      description(s.cis, s.what),
		EnforcementLevel: policyx.EnforcementLevelMandatory,
		ValidateStack: func(_ context.Context, args policyx.StackValidationArgs) error {
			t.ranStack(s.name)
			s.check(&stackCheck{env: env, resources: args.Resources, mgr: args.Manager})
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
