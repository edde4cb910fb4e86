package policies

// k8sNoPrivilegedContainers: a privileged container is root on the node.
var k8sNoPrivilegedContainers = workloadRule(
	"k8s-no-privileged-containers",
	"Kubernetes CIS 5.2.2",
	"no privileged container (securityContext.privileged) outside namespaces that enforce the privileged Pod Security level with a reason",
	func(w workload, _ string) []string {
		var out []string
		for _, ct := range w.containers() {
			if b, _ := at(ct.m, "securityContext", "privileged").Bool(); b {
				out = append(out, "container "+ct.name+" of "+w.ref+" is privileged: remove securityContext.privileged")
			}
		}
		return out
	})
