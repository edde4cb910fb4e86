package policies

// k8sNoHostPathVolumes: a hostPath volume reaches the node's filesystem
// (kubelet credentials, the containerd socket, /etc).
var k8sNoHostPathVolumes = workloadRule(
	"k8s-no-hostpath-volumes",
	"Kubernetes CIS 5.2.12",
	"no hostPath volume outside namespaces that enforce the privileged Pod Security level with a reason",
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
	})
