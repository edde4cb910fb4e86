package responder

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// Event is one Falco alert as falcosidekick's webhook output posts it.
// Every field comes from whoever could reach the endpoint, so decoding
// never trusts a type: a field of the wrong JSON type is treated as absent.
type Event struct {
	UUID string
	// Output is Falco's formatted message (kept for logs and the Kubernetes Event).
	Output string
	// Priority is PriorityUnknown when the field is missing or unrecognised.
	Priority Priority
	Rule     string
	// Time is zero when missing or not RFC 3339.
	Time time.Time
	// Source is "syscall" (also when absent, as Falco omitted it before
	// 0.31) or "k8s_audit".
	Source   string
	Tags     []string
	Hostname string
	// Fields are Falco's output_fields: field name (k8s.pod.name,
	// ka.target.name) to value; values keep their JSON types.
	Fields map[string]any
}

// Falco event sources the responder knows.
const (
	SourceSyscall  = "syscall"
	SourceK8sAudit = "k8s_audit"
)

// ErrMalformed wraps every reason a body is not a Falco event.
var ErrMalformed = errors.New("malformed event")

// maxRuleLen bounds the rule name; Falco's longest names are ~70 bytes.
const maxRuleLen = 256

// DecodeEvent reads one falcosidekick payload. It requires a single JSON
// object with a non-empty string "rule"; everything else is optional and
// tolerated when mistyped. Numbers stay json.Number, so a large integer in
// output_fields is neither rounded nor a reason to fail.
func DecodeEvent(r io.Reader) (*Event, error) {
	dec := json.NewDecoder(r)
	dec.UseNumber()
	var raw map[string]any
	if err := dec.Decode(&raw); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%w: empty body", ErrMalformed)
		}
		// %w twice: callers can still see an http.MaxBytesError inside.
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if raw == nil {
		return nil, fmt.Errorf("%w: not a JSON object", ErrMalformed)
	}
	// One event per request: trailing data means a confused or hostile sender.
	if tok, err := dec.Token(); !errors.Is(err, io.EOF) {
		if err == nil {
			err = fmt.Errorf("unexpected %v", tok)
		}
		return nil, fmt.Errorf("%w: trailing data after the event: %w", ErrMalformed, err)
	}
	ev := &Event{
		UUID:     str(raw["uuid"]),
		Output:   str(raw["output"]),
		Rule:     strings.TrimSpace(str(raw["rule"])),
		Source:   str(raw["source"]),
		Hostname: str(raw["hostname"]),
	}
	if ev.Rule == "" {
		return nil, fmt.Errorf("%w: no rule (a string) in the event", ErrMalformed)
	}
	if len(ev.Rule) > maxRuleLen {
		return nil, fmt.Errorf("%w: rule name longer than %d bytes", ErrMalformed, maxRuleLen)
	}
	if ev.Source == "" {
		ev.Source = SourceSyscall
	}
	ev.Priority, _ = ParsePriority(str(raw["priority"]))
	if t, err := time.Parse(time.RFC3339Nano, str(raw["time"])); err == nil {
		ev.Time = t
	}
	if tags, ok := raw["tags"].([]any); ok {
		for _, t := range tags {
			if s, ok := t.(string); ok {
				ev.Tags = append(ev.Tags, s)
			}
		}
	}
	switch f := raw["output_fields"].(type) {
	case map[string]any:
		ev.Fields = f
	case nil:
		ev.Fields = map[string]any{}
	default:
		return nil, fmt.Errorf("%w: output_fields is not an object", ErrMalformed)
	}
	return ev, nil
}

// DecodeEventBytes is DecodeEvent over a byte slice (tests, fixtures).
func DecodeEventBytes(b []byte) (*Event, error) { return DecodeEvent(bytes.NewReader(b)) }

// Field returns output field key as a string. Non-string values and
// Falco's placeholders for "no value" ("<NA>", "N/A", empty) read as "".
// Only strings count because every field the responder reads (names,
// namespaces, resources) is a string in Falco; a number where a pod name
// should be is a forged or broken event, not a pod called "123".
func (e *Event) Field(key string) string {
	s, ok := e.Fields[key].(string)
	if !ok {
		return ""
	}
	switch s = strings.TrimSpace(s); s {
	case "<NA>", "N/A", "null":
		return ""
	}
	return s
}

// firstField returns the first non-empty of the given fields.
func (e *Event) firstField(keys ...string) string {
	for _, k := range keys {
		if v := e.Field(k); v != "" {
			return v
		}
	}
	return ""
}

func str(v any) string {
	s, _ := v.(string)
	return s
}
