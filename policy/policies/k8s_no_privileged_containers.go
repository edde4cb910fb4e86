package policies

import "github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

// k8s-no-privileged-containers: a privileged container is root on the node.
var _ = register(workloadRule(stackRule{
	name:  "k8s-no-privileged-containers",
	order: 190,
	level: policyx.EnforcementLevelMandatory,
	cis:   "Kubernetes CIS 5.2.2",
	what:  "no privileged container (containers, init and ephemeral containers of Pods, Deployments, DaemonSets, StatefulSets, ReplicaSets, Jobs, CronJobs and their Patch forms) unless its namespace enforces `privileged`",
},
	func(w workload, _ string) []string {
		var out []string
		for _, ct := range w.containers() {
			if b, _ := at(ct.m, "securityContext", "privileged").Bool(); b {
				out = append(out, "container "+ct.name+" of "+w.ref+" is privileged: remove securityContext.privileged")
			}
		}
		return out
	}))
