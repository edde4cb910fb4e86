package policies

import "github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

// k8s-no-host-namespaces: sharing the node's PID, IPC or network namespace lets
// a pod see and signal host processes, read shared memory, or sniff and
// bind on the node's interfaces.
var _ = register(workloadRule(stackRule{
	name:  "k8s-no-host-namespaces",
	order: 200,
	level: policyx.EnforcementLevelMandatory,
	cis:   "Kubernetes CIS 5.2.3, 5.2.4, 5.2.5",
	what:  "no `hostPID`, `hostIPC` or `hostNetwork` unless the namespace enforces `privileged`",
},
	func(w workload, _ string) []string {
		var out []string
		for _, f := range []string{"hostPID", "hostIPC", "hostNetwork"} {
			if b, _ := at(w.spec, f).Bool(); b {
				out = append(out, w.ref+" sets "+f+": remove it")
			}
		}
		return out
	}))
