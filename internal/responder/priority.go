package responder

import (
	"fmt"
	"strings"
)

// Priority is a Falco priority as an ordered type, so "at least Warning" is
// a plain comparison. PriorityUnknown sorts below every real priority: an
// event whose priority is missing or unrecognised never reaches a minimum.
type Priority int

// Falco's priorities, lowest first.
const (
	PriorityUnknown Priority = iota
	PriorityDebug
	PriorityInformational
	PriorityNotice
	PriorityWarning
	PriorityError
	PriorityCritical
	PriorityAlert
	PriorityEmergency
)

var priorityNames = [...]string{"Unknown", "Debug", "Informational", "Notice", "Warning", "Error", "Critical", "Alert", "Emergency"}

// String returns the name Falco uses ("Warning").
func (p Priority) String() string {
	if p < 0 || int(p) >= len(priorityNames) {
		return "Unknown"
	}
	return priorityNames[p]
}

// ParsePriority reads a Falco priority name, case-insensitively. Falco's
// rule files say "INFO" while its JSON says "Informational"; both work.
func ParsePriority(s string) (Priority, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "debug":
		return PriorityDebug, true
	case "info", "informational":
		return PriorityInformational, true
	case "notice":
		return PriorityNotice, true
	case "warning", "warn":
		return PriorityWarning, true
	case "error":
		return PriorityError, true
	case "critical":
		return PriorityCritical, true
	case "alert":
		return PriorityAlert, true
	case "emergency":
		return PriorityEmergency, true
	}
	return PriorityUnknown, false
}

// MarshalText writes the Falco name.
func (p Priority) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// UnmarshalText is strict: it is used for configuration, where a typo in a
// minimum priority must be an error rather than a silent "match nothing".
// Events use the tolerant ParsePriority instead.
func (p *Priority) UnmarshalText(b []byte) error {
	v, ok := ParsePriority(string(b))
	if !ok {
		return fmt.Errorf("unknown priority %q (want one of debug, informational, notice, warning, error, critical, alert, emergency)", string(b))
	}
	*p = v
	return nil
}
