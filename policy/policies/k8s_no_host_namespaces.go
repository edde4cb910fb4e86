package policies

// k8sNoHostNamespaces: sharing the node's PID, IPC or network namespace lets
// a pod see and signal host processes, read shared memory, or sniff and
// bind on the node's interfaces.
var k8sNoHostNamespaces = workloadRule(
	"k8s-no-host-namespaces",
	"Kubernetes CIS 5.2.3, 5.2.4, 5.2.5",
	"no pod shares the host PID, IPC or network namespace outside namespaces that enforce the privileged Pod Security level with a reason",
	func(w workload, _ string) []string {
		var out []string
		for _, f := range []string{"hostPID", "hostIPC", "hostNetwork"} {
			if b, _ := at(w.spec, f).Bool(); b {
				out = append(out, w.ref+" sets "+f+": remove it")
			}
		}
		return out
	})
