package policies

import (
	"context"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
)

// runPack evaluates a pack as policyx's server does, skipping the policies
// in disabled, and returns the reports per policy.
func runPack(t *testing.T, env Env, disabled map[string]bool, rs ...policyx.AnalyzerResource) map[string][]string {
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
			if err := rp.Validate(context.Background(), policyx.ResourceValidationArgs{Manager: rec, Resource: r}); err != nil {
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

func guardResources() []policyx.AnalyzerResource {
	return []policyx.AnalyzerResource{
		res("command:remote:Command", "a", remoteCmd(conn(nil))),
		res("command:remote:Command", "b", remoteCmd(conn(nil))),
	}
}

func TestGuard_ProdRefusesDisabledResourcePolicy(t *testing.T) {
	got := runPack(t, prodEnv(), map[string]bool{"ssh-host-key-pinned": true}, guardResources()...)
	// Once per run from the resource guard, once from the stack guard.
	wantReports(t, got[GuardResourceName], 1, "disables ssh-host-key-pinned", "production stack prod", "advisory")
	wantReports(t, got[GuardStackName], 1, "disables ssh-host-key-pinned")
}

func TestGuard_ProdRefusesDisabledStackPolicy(t *testing.T) {
	got := runPack(t, prodEnv(), map[string]bool{"k8s-namespace-network-policy": true}, guardResources()...)
	wantReports(t, got[GuardResourceName], 0)
	wantReports(t, got[GuardStackName], 1, "disables k8s-namespace-network-policy")
}

func TestGuard_DisablingOneGuardLeavesTheOther(t *testing.T) {
	got := runPack(t, prodEnv(), map[string]bool{GuardStackName: true, "ssh-no-password-auth": true}, guardResources()...)
	wantReports(t, got[GuardResourceName], 1, "disables ssh-no-password-auth")
	got = runPack(t, prodEnv(), map[string]bool{GuardResourceName: true, "ssh-no-password-auth": true}, guardResources()...)
	wantReports(t, got[GuardStackName], 1, "disables "+GuardResourceName+", ssh-no-password-auth")
}

func TestGuard_DevMayDisable(t *testing.T) {
	got := runPack(t, devEnv(), map[string]bool{"ssh-host-key-pinned": true, "k8s-namespace-network-policy": true}, guardResources()...)
	wantReports(t, got[GuardResourceName], 0)
	wantReports(t, got[GuardStackName], 0)
}

func TestGuard_WholePackRunsClean(t *testing.T) {
	got := runPack(t, prodEnv(), nil, guardResources()...)
	for name, msgs := range got {
		if len(msgs) > 0 {
			t.Errorf("%s reported %q", name, msgs)
		}
	}
}

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
