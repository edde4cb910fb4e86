package policies

import (
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
)

// baselineCapabilities may be added under the baseline Pod Security level
// (the container runtime's default set); restricted allows only
// NET_BIND_SERVICE.
var baselineCapabilities = map[string]bool{
	"AUDIT_WRITE": true, "CHOWN": true, "DAC_OVERRIDE": true, "FOWNER": true, "FSETID": true, "KILL": true,
	"MKNOD": true, "NET_BIND_SERVICE": true, "SETFCAP": true, "SETGID": true, "SETPCAP": true, "SETUID": true, "SYS_CHROOT": true,
}

// k8s-no-added-capabilities: added capabilities (NET_ADMIN, SYS_ADMIN, NET_RAW,
// ...) widen what a compromised container can do to the node.
var _ = register(workloadRule(stackRule{
	name:  "k8s-no-added-capabilities",
	order: 220,
	level: policyx.EnforcementLevelMandatory,
	cis:   "Kubernetes CIS 5.2.8, 5.2.9",
	what:  "no added capability beyond what the namespace's level allows (restricted: `NET_BIND_SERVICE`; baseline: the runtime default set)",
},
	func(w workload, level string) []string {
		var out []string
		for _, ct := range w.containers() {
			caps, _ := at(ct.m, "securityContext", "capabilities", "add").strings()
			for _, capName := range caps {
				// The runtime accepts both NET_RAW and CAP_NET_RAW.
				c := strings.TrimPrefix(strings.ToUpper(capName), "CAP_")
				if c == "NET_BIND_SERVICE" || (level == psaBaseline && baselineCapabilities[c]) {
					continue
				}
				out = append(out, "container "+ct.name+" of "+w.ref+" adds capability "+capName+": remove it from securityContext.capabilities.add")
			}
		}
		return out
	}))
