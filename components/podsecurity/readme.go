package podsecurity

import (
	"fmt"
	"strings"
)

// ReadmeTables renders the exemption data as the Markdown tables of
// README.md (between the generated markers), so the README cannot drift
// from what the code enforces.
func ReadmeTables() string {
	var b strings.Builder
	b.WriteString("| Namespace | Exempt from | Why |\n|---|---|---|\n")
	for _, e := range SystemExemptions {
		fmt.Fprintf(&b, "| `%s` | Pod Security Admission (AdmissionConfiguration `exemptions.namespaces`) | %s |\n", e.Namespace, e.Reason)
	}
	for _, e := range AutomountAllowNamespaces {
		fmt.Fprintf(&b, "| `%s` | the `%s` admission policy | %s |\n", e.Namespace, AutomountPolicyName, e.Reason)
	}
	return b.String()
}
