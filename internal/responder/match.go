package responder

import "fmt"

// binding is a compiled Response: its action, built once at start-up.
type binding struct {
	response *Response
	action   Action
}

// matcher maps a normalised rule name to its binding.
type matcher struct {
	byRule map[string]*binding
}

// Match reasons reported when an event is not acted on.
const (
	ReasonUnknownRule = "unknown_rule"
	ReasonLowPriority = "priority_below_minimum"
)

func newMatcher(c *Config, deps ActionDeps) (*matcher, error) {
	m := &matcher{byRule: map[string]*binding{}}
	for i := range c.Responses {
		r := &c.Responses[i]
		a, err := NewAction(r, deps)
		if err != nil {
			return nil, fmt.Errorf("responses[%d]: %w", i, err)
		}
		b := &binding{response: r, action: a}
		for _, name := range r.Rules {
			m.byRule[normalizeRule(name)] = b
		}
	}
	return m, nil
}

// match returns the binding for an event, or the reason there is none.
// Only rules listed in the configuration match: an empty configuration
// matches nothing, unlike Falco Talon, where an empty match list matches
// every event.
func (m *matcher) match(ev *Event) (*binding, string) {
	b, ok := m.byRule[normalizeRule(ev.Rule)]
	if !ok {
		return nil, ReasonUnknownRule
	}
	if ev.Priority < b.response.MinPriority {
		return b, ReasonLowPriority
	}
	return b, ""
}
