package policies

import (
	"sort"
	"sync"
)

// tracker records which policies the engine actually ran. policyx skips a
// policy whose enforcement level was overridden to disabled without telling
// the pack, and the pack never sees the policy config of other policies; so
// the only way to notice a disabled policy from inside the pack is that its
// Validate was not called. The guard policies read this record.
type tracker struct {
	mu sync.Mutex
	// byResource holds, per resource key, the resource policies run for it
	// in the current Analyze call (the guard runs last and consumes it).
	byResource map[string]map[string]bool
	// everRan holds every resource policy run since the last stack guard.
	everRan map[string]bool
	// stackRan holds the stack policies run in the current AnalyzeStack.
	stackRan map[string]bool
	// seen and reported keep the resource guard to one report per run: a
	// resource key seen twice means a new run (preview, then update) began.
	seen     map[string]bool
	reported bool
}

func newTracker() *tracker {
	t := &tracker{}
	t.resetRun()
	t.stackRan = map[string]bool{}
	return t
}

func (t *tracker) resetRun() {
	t.byResource = map[string]map[string]bool{}
	t.everRan = map[string]bool{}
	t.seen = map[string]bool{}
	t.reported = false
}

func (t *tracker) ranResource(key, policy string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.byResource[key] == nil {
		t.byResource[key] = map[string]bool{}
	}
	t.byResource[key][policy] = true
	t.everRan[policy] = true
}

func (t *tracker) ranStack(policy string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.stackRan[policy] = true
}

// missingFor returns the policies of want that did not run for the resource
// and whether the guard should report them now (once per run).
func (t *tracker) missingFor(key string, want []string) (missing []string, report bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.seen[key] {
		t.seen = map[string]bool{}
		t.reported = false
	}
	t.seen[key] = true
	ran := t.byResource[key]
	delete(t.byResource, key)
	for _, p := range want {
		if !ran[p] {
			missing = append(missing, p)
		}
	}
	if len(missing) == 0 || t.reported {
		return missing, false
	}
	t.reported = true
	return missing, true
}

// endRun returns the resource policies that never ran and the stack
// policies that did not run in this AnalyzeStack, then starts a new run.
// Resource policies are judged only when at least one of them ran: a
// client that calls AnalyzeStack without per-resource Analyze calls must
// not make every resource policy look disabled.
func (t *tracker) endRun(resourcePolicies, stackPolicies []string) (missing []string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.everRan) > 0 {
		for _, p := range resourcePolicies {
			if !t.everRan[p] {
				missing = append(missing, p)
			}
		}
	}
	for _, p := range stackPolicies {
		if !t.stackRan[p] {
			missing = append(missing, p)
		}
	}
	t.resetRun()
	t.stackRan = map[string]bool{}
	sort.Strings(missing)
	return missing
}
