package policies

import (
	"fmt"
	"strings"
)

// ReadmeTable renders the policy table of policy/README.md from the rule
// declarations, in pack order, so the README cannot drift from the pack.
func ReadmeTable() string {
	var b strings.Builder
	b.WriteString("| Policy | CIS ID | What it checks | Default |\n|---|---|---|---|\n")
	for _, e := range ordered(registered()) {
		fmt.Fprintf(&b, "| `%s`%s | %s | %s | %s |\n", e.name, stackMark(e), e.cis, e.what, e.level)
	}
	return b.String()
}

// ReadmeSummary renders the short policy list of the top-level README.
func ReadmeSummary() string {
	var b strings.Builder
	b.WriteString("| Policy | CIS ID | Default |\n|---|---|---|\n")
	for _, e := range ordered(registered()) {
		fmt.Fprintf(&b, "| `%s`%s | %s | %s |\n", e.name, stackMark(e), e.cis, e.level)
	}
	return b.String()
}

// stackMark tells stack policies, which judge the stack as a whole, from
// per-resource ones.
func stackMark(e entry) string {
	if e.stack != nil {
		return " (stack)"
	}
	return ""
}
