package policies

import "strings"

// baselineCapabilities may be added under the baseline Pod Security level
// (the container runtime's default set); restricted allows only
// NET_BIND_SERVICE.
var baselineCapabilities = map[string]bool{
	"AUDIT_WRITE": true, "CHOWN": true, "DAC_OVERRIDE": true, "FOWNER": true, "FSETID": true, "KILL": true,
	"MKNOD": true, "NET_BIND_SERVICE": true, "SETFCAP": true, "SETGID": true, "SETPCAP": true, "SETUID": true, "SYS_CHROOT": true,
}

// k8sNoAddedCapabilities: added capabilities (NET_ADMIN, SYS_ADMIN, NET_RAW,
// ...) widen what a compromised container can do to the node.
var k8sNoAddedCapabilities = workloadRule(
	"k8s-no-added-capabilities",
	"Kubernetes CIS 5.2.8, 5.2.9",
	"no container adds Linux capabilities beyond what its namespace's Pod Security level allows (restricted: NET_BIND_SERVICE only)",
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
	})
