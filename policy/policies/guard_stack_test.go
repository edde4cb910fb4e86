package policies

import "testing"

var _ = casesFor(GuardStackName, func(*testing.T) []policyCase {
	return []policyCase{
		{desc: "prod refuses a disabled resource policy", env: prod, rs: guardResources(), disabled: []string{"ssh-host-key-pinned"},
			n: 1, contains: []string{"disables ssh-host-key-pinned"}},
		{desc: "prod refuses a disabled stack policy", env: prod, rs: guardResources(), disabled: []string{"k8s-namespace-network-policy"},
			n: 1, contains: []string{"disables k8s-namespace-network-policy"}},
		{desc: "disabling the resource guard leaves this one", env: prod, rs: guardResources(), disabled: []string{GuardResourceName, "ssh-no-password-auth"},
			n: 1, contains: []string{"disables " + GuardResourceName + ", ssh-no-password-auth"}},
		{desc: "dev may disable", rs: guardResources(), disabled: []string{"ssh-host-key-pinned", "k8s-namespace-network-policy"}},
		{desc: "prod with the whole pack", env: prod, rs: guardResources()},
	}
})

// On prod, with nothing disabled, no policy of the pack reports anything on
// compliant resources.
func TestGuard_WholePackRunsClean(t *testing.T) {
	for name, msgs := range runPack(t, prodEnv(), nil, nil, guardResources()...) {
		if len(msgs) > 0 {
			t.Errorf("%s reported %q", name, msgs)
		}
	}
}
