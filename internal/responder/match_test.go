package responder

import "testing"

func TestMatch(t *testing.T) {
	c, err := ParseConfig([]byte(`
responses:
- name: critical-only
  action: delete-pod
  minPriority: critical
  rules: ["Sudo Potential Privilege Escalation"]
- action: delete-pod
  rules: ["Terminal shell in container", "Attach/Exec Pod"]
`))
	if err != nil {
		t.Fatal(err)
	}
	m, err := newMatcher(c, ActionDeps{})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		rule     string
		prio     Priority
		response string
		why      string
	}{
		{"Terminal shell in container", PriorityNotice, "delete-pod", ""},
		{"terminal  Shell in CONTAINER ", PriorityNotice, "delete-pod", ""},
		{"Attach/Exec Pod", PriorityDebug, "delete-pod", ""},
		{"Attach/Exec Pod", PriorityUnknown, "delete-pod", ReasonLowPriority},
		{"Sudo Potential Privilege Escalation", PriorityCritical, "critical-only", ""},
		{"Sudo Potential Privilege Escalation", PriorityEmergency, "critical-only", ""},
		{"Sudo Potential Privilege Escalation", PriorityError, "critical-only", ReasonLowPriority},
		{"Terminal shell in containers", PriorityEmergency, "", ReasonUnknownRule},
		{"Write below etc", PriorityError, "", ReasonUnknownRule},
	}
	for _, c := range cases {
		b, why := m.match(&Event{Rule: c.rule, Priority: c.prio})
		if why != c.why {
			t.Errorf("%q/%v: reason %q, want %q", c.rule, c.prio, why, c.why)
		}
		if c.response == "" {
			if b != nil {
				t.Errorf("%q matched %s", c.rule, b.response.Name)
			}
			continue
		}
		if b == nil || b.response.Name != c.response {
			t.Errorf("%q/%v: binding %+v, want %s", c.rule, c.prio, b, c.response)
		}
	}
}
