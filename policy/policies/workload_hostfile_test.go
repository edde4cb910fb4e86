package policies

import (
	"strings"
	"testing"

	"k3s-onprem/components/vip"
)

// TestHostFileWorkloads runs the workload policies over static pod files:
// the program's own kube-vip manifest (host network, NET_ADMIN, NET_RAW)
// passes in kube-system, which Pod Security exempts; the same pod in any
// other namespace, and a privileged static pod, are rejected.
func TestHostFileWorkloads(t *testing.T) {
	pod, err := vip.RenderKubeVIPPod(vip.KubeVIPConfig{Node: "dev-server-1", Interface: "eth0", VIP: "10.0.0.100", APIPort: 6443, Lease: vip.DefaultLease})
	if err != nil {
		t.Fatal(err)
	}
	elsewhere := strings.Replace(string(pod), "namespace: kube-system", "namespace: default", 1)
	privileged := `apiVersion: v1
kind: Pod
metadata:
  name: debug
  namespace: tools
spec:
  containers:
  - name: sh
    image: busybox
    securityContext:
      privileged: true
`
	autoDeploy := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n---\n" + strings.Replace(privileged, "kind: Pod", "kind: DaemonSet", 1)
	autoDeploy = strings.Replace(autoDeploy, "spec:\n  containers:", "spec:\n  template:\n    spec:\n      containers:", 1)
	autoDeploy = strings.ReplaceAll(autoDeploy, "\n  - name: sh\n    image: busybox\n    securityContext:\n      privileged: true", "\n      - name: sh\n        image: busybox\n        securityContext:\n          privileged: true")
	for _, tc := range []struct {
		desc, path, text string
		want             map[string]int
	}{
		{"kube-vip in kube-system", vip.KubeVIPManifestPath, string(pod), nil},
		{"kube-vip moved to default", vip.KubeVIPManifestPath, elsewhere, map[string]int{"k8s-no-host-namespaces": 1, "k8s-no-added-capabilities": 2, "k8s-no-hostpath-volumes": 1}},
		{"privileged static pod", "/var/lib/rancher/k3s/agent/pod-manifests/debug.yaml", privileged, map[string]int{"k8s-no-privileged-containers": 1}},
		{"privileged DaemonSet among auto-deployed manifests", "/var/lib/rancher/k3s/server/manifests/debug.yaml", autoDeploy, map[string]int{"k8s-no-privileged-containers": 1}},
		{"the same file outside a manifest directory", "/root/debug.yaml", privileged, nil},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			got := runPack(t, devEnv(), nil, nil, copyFile(t, "", tc.path, tc.text))
			for _, name := range []string{"k8s-no-host-namespaces", "k8s-no-added-capabilities", "k8s-no-privileged-containers", "k8s-no-hostpath-volumes"} {
				if len(got[name]) != tc.want[name] {
					t.Errorf("%s: %d reports, want %d: %q", name, len(got[name]), tc.want[name], got[name])
				}
				for _, m := range got[name] {
					if !strings.Contains(m, tc.path) {
						t.Errorf("%s: report does not name the file %s: %s", name, tc.path, m)
					}
				}
			}
		})
	}
}
