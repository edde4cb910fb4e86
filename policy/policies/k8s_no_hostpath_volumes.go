package policies

import "github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

// k8s-no-hostpath-volumes: a hostPath volume reaches the node's filesystem
// (kubelet credentials, the containerd socket, /etc).
var _ = register(workloadRule(stackRule{
	name:  "k8s-no-hostpath-volumes",
	order: 210,
	level: policyx.EnforcementLevelMandatory,
	cis:   "Kubernetes CIS 5.2.12",
	what:  "no `hostPath` volume unless the namespace enforces `privileged`",
},
	func(w workload, _ string) []string {
		var out []string
		vols, _ := at(w.spec, "volumes").Items()
		for i, v := range vols {
			m, ok := wrap(v).Map()
			if !ok || at(m, "hostPath").Missing() {
				continue
			}
			name, _ := at(m, "name").Str()
			if name == "" {
				name = "volumes[" + itoa(i) + "]"
			}
			out = append(out, w.ref+" mounts hostPath volume "+name+": use a PersistentVolumeClaim, ConfigMap or emptyDir")
		}
		return out
	}))
