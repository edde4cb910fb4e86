package policies

import (
	"context"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
)

// guardResources are two resources every resource policy runs on.
func guardResources() []policyx.AnalyzerResource {
	return []policyx.AnalyzerResource{
		res("command:remote:Command", "a", remoteCmd(conn(nil))),
		res("command:remote:Command", "b", remoteCmd(conn(nil))),
	}
}

func prod(e *Env) { *e = prodEnv() }

var _ = casesFor(GuardResourceName, func(*testing.T) []policyCase {
	return []policyCase{
		// Once per run, not once per resource.
		{desc: "prod refuses a disabled resource policy", env: prod, rs: guardResources(), disabled: []string{"ssh-host-key-pinned"},
			n: 1, contains: []string{"disables ssh-host-key-pinned", "production stack prod", "advisory"}},
		{desc: "disabling the stack guard leaves this one", env: prod, rs: guardResources(), disabled: []string{GuardStackName, "ssh-no-password-auth"},
			n: 1, contains: []string{"disables ssh-no-password-auth"}},
		{desc: "stack policies are the stack guard's", env: prod, rs: guardResources(), disabled: []string{"k8s-namespace-network-policy"}},
		{desc: "dev may disable", rs: guardResources(), disabled: []string{"ssh-host-key-pinned", "k8s-namespace-network-policy"}},
		{desc: "prod with the whole pack", env: prod, rs: guardResources()},
	}
})

func TestGuard_ReportsAgainOnTheNextRun(t *testing.T) {
	pack, err := New(prodEnv())
	if err != nil {
		t.Fatal(err)
	}
	var guard policyx.ResourceValidationPolicy
	for _, p := range pack.Policies() {
		if p.Name() == GuardResourceName {
			guard = p.(policyx.ResourceValidationPolicy)
		}
	}
	r := guardResources()[0]
	// Only the guard runs: every other resource policy is disabled.
	count := 0
	for run := 0; run < 2; run++ {
		rec := &recorder{}
		if err := guard.Validate(context.Background(), policyx.ResourceValidationArgs{Manager: rec, Resource: r}); err != nil {
			t.Fatal(err)
		}
		count += len(rec.msgs)
	}
	if count != 2 {
		t.Fatalf("the guard reported %d times over two runs (preview, then update), want once per run", count)
	}
}
