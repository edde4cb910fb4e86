package responder

import (
	"encoding/json"
	"testing"
)

func TestPriority_Order(t *testing.T) {
	order := []string{"debug", "informational", "notice", "warning", "error", "critical", "alert", "emergency"}
	prev := PriorityUnknown
	for _, name := range order {
		p, ok := ParsePriority(name)
		if !ok || p <= prev {
			t.Fatalf("%s: %v (ok=%v) not above %v", name, p, ok, prev)
		}
		prev = p
	}
	if PriorityWarning < PriorityNotice || PriorityCritical <= PriorityError {
		t.Fatal("ordering broken")
	}
}

func TestPriority_ParseFalcoSpellings(t *testing.T) {
	for in, want := range map[string]Priority{
		"Warning": PriorityWarning, "WARNING": PriorityWarning, " notice ": PriorityNotice,
		"INFO": PriorityInformational, "Informational": PriorityInformational, "Critical": PriorityCritical,
	} {
		if got, ok := ParsePriority(in); !ok || got != want {
			t.Errorf("%q: got %v, %v", in, got, ok)
		}
	}
	for _, in := range []string{"", "urgent", "5"} {
		if got, ok := ParsePriority(in); ok || got != PriorityUnknown {
			t.Errorf("%q: want unknown, got %v", in, got)
		}
	}
}

func TestPriority_UnknownNeverReachesAMinimum(t *testing.T) {
	ev, err := DecodeEventBytes([]byte(`{"rule":"x","priority":"severe"}`))
	if err != nil {
		t.Fatal(err)
	}
	if ev.Priority >= PriorityDebug {
		t.Fatalf("unknown priority %v compares at or above debug", ev.Priority)
	}
}

func TestPriority_ConfigIsStrict(t *testing.T) {
	var p struct {
		P Priority `json:"p"`
	}
	if err := json.Unmarshal([]byte(`{"p":"warning"}`), &p); err != nil || p.P != PriorityWarning {
		t.Fatalf("got %v, %v", p.P, err)
	}
	if err := json.Unmarshal([]byte(`{"p":"warnin"}`), &p); err == nil {
		t.Fatal("a misspelt priority in config must be an error")
	}
	if b, _ := json.Marshal(PriorityCritical); string(b) != `"Critical"` {
		t.Fatalf("marshal: %s", b)
	}
}
