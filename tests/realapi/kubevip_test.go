package realapi_test

import (
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"k3s-onprem/components/vip"
	"k3s-onprem/tests/realapi/apiserver"
)

// TestKubeVIPPodAdmission sends the program's kube-vip pod (as rendered for
// a server) to a real kube-apiserver started with the prod stack's
// rendered flags and Pod Security admission config, as a dry-run create:
// in kube-system, which that config exempts, it passes schema validation
// and admission; the same pod in an ordinary namespace (cluster default
// restricted) is refused for its host network, its capabilities and its
// hostPath volume. The kubelet's mirror pod of the static pod goes through
// the same admission.
func TestKubeVIPPodAdmission(t *testing.T) {
	pod, err := vip.KubeVIPPod(vip.KubeVIPConfig{Node: "server-1", Interface: "eth0", VIP: "192.168.122.100", APIPort: 6443, Lease: vip.DefaultLease})
	if err != nil {
		t.Fatal(err)
	}
	opts := renderedProdOptions(t)
	opts.WithControllerManager = true
	srv := apiserver.Start(t, opts)
	cs, err := kubernetes.NewForConfig(srv.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	createNamespace(t, cs, vip.KubeVIPNamespace, nil)
	dry := metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}}
	if _, err := cs.CoreV1().Pods(vip.KubeVIPNamespace).Create(testCtx(t), pod, dry); err != nil {
		t.Fatalf("kube-vip in %s: %v", vip.KubeVIPNamespace, err)
	}
	createNamespace(t, cs, "apps", nil)
	elsewhere := pod.DeepCopy()
	elsewhere.Namespace = "apps"
	_, err = cs.CoreV1().Pods("apps").Create(testCtx(t), elsewhere, dry)
	if err == nil {
		t.Fatal("the kube-vip pod was admitted outside kube-system")
	}
	for _, want := range []string{"PodSecurity", "host namespaces", "NET_ADMIN", "hostPath"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("rejection lacks %q: %v", want, err)
		}
	}
}
