package policies

import (
	"fmt"
	"sort"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
)

// guardOrder is where the guards start: after every other policy, because
// they report the policies that did not run before them.
const guardOrder = 1000

// registry holds every rule the policy files register at package
// initialisation, so adding a policy is adding its file; the pack's order
// comes from the rules' order fields, not from where Go initialises them
// (which follows file names).
var registry struct {
	mu       sync.Mutex
	resource []resourceRule
	stack    []stackRule
}

// register adds a rule to the pack and returns it, for a policy file's
// `var x = register(resourceRule{...})`.
func register[R resourceRule | stackRule](r R) R {
	registry.mu.Lock()
	defer registry.mu.Unlock()
	switch v := any(r).(type) {
	case resourceRule:
		registry.resource = append(registry.resource, v)
	case stackRule:
		registry.stack = append(registry.stack, v)
	}
	return r
}

// registered returns the rules sorted by order (then name, so a duplicate
// order, which the registry test rejects, still gives one fixed order).
func registered() ([]resourceRule, []stackRule) {
	registry.mu.Lock()
	defer registry.mu.Unlock()
	rs := append([]resourceRule(nil), registry.resource...)
	ss := append([]stackRule(nil), registry.stack...)
	sort.Slice(rs, func(i, j int) bool { return less(rs[i].order, rs[i].name, rs[j].order, rs[j].name) })
	sort.Slice(ss, func(i, j int) bool { return less(ss[i].order, ss[i].name, ss[j].order, ss[j].name) })
	return rs, ss
}

func less(oi int, ni string, oj int, nj string) bool {
	if oi != oj {
		return oi < oj
	}
	return ni < nj
}

// entry is one rule of either kind with what the pack, the README and the
// tests read of it.
type entry struct {
	name, cis, what string
	order           int
	level           string
	resource        *resourceRule
	stack           *stackRule
}

// ordered merges both kinds into the pack's evaluation order.
func ordered(rs []resourceRule, ss []stackRule) []entry {
	var out []entry
	for i := range rs {
		r := &rs[i]
		out = append(out, entry{name: r.name, cis: r.cis, what: r.what, order: r.order, level: LevelName(r.level), resource: r})
	}
	for i := range ss {
		s := &ss[i]
		out = append(out, entry{name: s.name, cis: s.cis, what: s.what, order: s.order, level: LevelName(s.level), stack: s})
	}
	sort.SliceStable(out, func(i, j int) bool { return less(out[i].order, out[i].name, out[j].order, out[j].name) })
	return out
}

// LevelName is the policy config spelling of an enforcement level.
func LevelName(l policyx.EnforcementLevel) string {
	switch l {
	case policyx.EnforcementLevelAdvisory:
		return "advisory"
	case policyx.EnforcementLevelMandatory:
		return "mandatory"
	case policyx.EnforcementLevelDisabled:
		return "disabled"
	case policyx.EnforcementLevelRemediate:
		return "remediate"
	}
	return fmt.Sprint(int(l))
}
