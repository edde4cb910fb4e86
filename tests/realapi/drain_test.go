package realapi_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"

	"k3s-onprem/components/k3s"
	"k3s-onprem/internal/hoststep"
	"k3s-onprem/tests/lab/labapi"
	"k3s-onprem/tests/realapi/apiserver"
)

// TestDrainSteps_EvictionRespectsPDB runs the program's own drain and
// uncordon steps (their run.sh, with bash) against a real kube-apiserver
// and etcd, through the real kubectl. Real: the scripts, kubectl drain,
// the eviction API and its PodDisruptionBudget check. Stand-ins: the k3s
// binary (tests/lab/labapi's k3s-standin.sh: `k3s kubectl` runs the real
// kubectl), and the node, which is only a Node object (no kubelet): its
// pods have a grace period of 0, so an eviction removes them at once.
// K3S_BIN, the admin kubeconfig and the state directory are moved into a
// temporary directory.
func TestDrainSteps_EvictionRespectsPDB(t *testing.T) {
	s := apiserver.Start(t, apiserver.Options{})
	kubectl := apiserver.Kubectl(t)
	cs := kubernetes.NewForConfigOrDie(s.RESTConfig())
	ctx := context.Background()
	dir := t.TempDir()
	bin := filepath.Join(dir, "k3s")
	standin := strings.ReplaceAll(string(labapi.K3sStandin("v1.34.4+k3s1")), "/usr/local/lib/k3s-onprem-lab/kubectl", kubectl)
	kubeconfig := filepath.Join(dir, "k3s.yaml")
	for path, content := range map[string]string{bin: standin, kubeconfig: string(s.Kubeconfig())} {
		if err := os.WriteFile(path, []byte(content), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	in := k3s.StepsInput{
		Cluster: k3s.ClusterConfig{Version: "v1.34.4+k3s1", InternalCIDR: "10.0.0.0/24", ClusterCIDR: "10.42.0.0/16", ServiceCIDR: "10.43.0.0/16", VIP: "10.0.0.100"},
		Node:    k3s.NodeConfig{Name: "agent-1", Role: k3s.RoleAgent, InternalAddress: "10.0.0.21", InternalInterface: "eth0"},
		Install: k3s.Install{Arch: "amd64", ReleaseURL: "https://example.invalid"},
	}
	run := func(build func(k3s.StepsInput, k3s.Drain) (hoststep.Step, error)) (string, error) {
		t.Helper()
		step, err := build(in, k3s.Drain{TimeoutSeconds: 8, Batch: "1/2"})
		if err != nil {
			t.Fatal(err)
		}
		b, err := step.Render()
		if err != nil {
			t.Fatal(err)
		}
		script := string(b.Files[len(b.Files)-1].Content)
		for old, repl := range map[string]string{
			"\nK3S_BIN=/usr/local/bin/k3s\n":                 "\nK3S_BIN=" + bin + "\n",
			"\nADMIN_KUBECONFIG=/etc/rancher/k3s/k3s.yaml\n": "\nADMIN_KUBECONFIG=" + kubeconfig + "\n",
			"\nK3S_STATE=/var/lib/k3s-onprem/k3s\n":          "\nK3S_STATE=" + filepath.Join(dir, "state") + "\n",
		} {
			if !strings.Contains(script, old) {
				t.Fatalf("run.sh no longer sets %q on a line of its own", strings.TrimSpace(old))
			}
			script = strings.Replace(script, old, repl, 1)
		}
		stepDir := filepath.Join(dir, "steps", step.Name)
		if err := os.MkdirAll(stepDir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(stepDir, "run.sh"), []byte(script), 0o700); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command("bash", filepath.Join(stepDir, "run.sh"), "apply").CombinedOutput()
		return string(out), err
	}
	lastLine := func(out string) string {
		lines := strings.Split(strings.TrimSpace(out), "\n")
		return lines[len(lines)-1]
	}
	unschedulable := func() bool {
		n, err := cs.CoreV1().Nodes().Get(ctx, "agent-1", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return n.Spec.Unschedulable
	}

	// First install: no Node yet, nothing to drain.
	if out, err := run(k3s.DrainStep); err != nil || !strings.Contains(out, "not a node yet") || lastLine(out) != "unchanged" {
		t.Fatalf("drain before the node exists: %v\n%s", err, out)
	}

	if _, err := cs.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "agent-1"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// No controller manager: the namespace's default service account,
	// which pod admission looks up, is made here.
	if _, err := cs.CoreV1().ServiceAccounts("default").Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	zero := int64(0)
	rs := true
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "web-1", Namespace: "default", Labels: map[string]string{"app": "web"},
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "web", UID: "0b7b5c2e-0000-4000-8000-000000000001", Controller: &rs}}},
		Spec: corev1.PodSpec{NodeName: "agent-1", TerminationGracePeriodSeconds: &zero,
			Containers: []corev1.Container{{Name: "web", Image: "registry.invalid/web:1"}}},
	}
	created, err := cs.CoreV1().Pods("default").Create(ctx, pod, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// What the kubelet would report: running and ready (the eviction API
	// ignores budgets for Pending pods).
	created.Status = corev1.PodStatus{Phase: corev1.PodRunning, Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}}
	if _, err := cs.CoreV1().Pods("default").UpdateStatus(ctx, created, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	// A PDB that allows no disruption (no controller computes otherwise):
	// the eviction API refuses, the drain times out and the step fails
	// naming the node and the phase; the node stays cordoned, the pod runs.
	none := intstr.FromInt32(0)
	pdb, err := cs.PolicyV1().PodDisruptionBudgets("default").Create(ctx, &policyv1.PodDisruptionBudget{
		ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec:       policyv1.PodDisruptionBudgetSpec{MaxUnavailable: &none, Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// The status the disruption controller computes for maxUnavailable 0
	// over one healthy pod (no controller manager runs here).
	pdb.Status = policyv1.PodDisruptionBudgetStatus{ObservedGeneration: pdb.Generation, CurrentHealthy: 1, DesiredHealthy: 1, ExpectedPods: 1, DisruptionsAllowed: 0}
	if _, err := cs.PolicyV1().PodDisruptionBudgets("default").UpdateStatus(ctx, pdb, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	out, err := run(k3s.DrainStep)
	if err == nil || !strings.Contains(out, "agent-1 (agent batch 1/2), phase drain: not drained within 8s") {
		t.Fatalf("a PDB-blocked drain did not fail with its message: %v\n%s", err, out)
	}
	if !strings.Contains(out, "disruption budget") {
		t.Errorf("kubectl did not report the PDB refusal:\n%s", out)
	}
	if !unschedulable() {
		t.Error("the node is schedulable after a failed drain")
	}
	if _, err := cs.CoreV1().Pods("default").Get(ctx, "web-1", metav1.GetOptions{}); err != nil {
		t.Errorf("the pod protected by the PDB is gone: %v", err)
	}

	// The PDB goes (an operator's fix); the re-run drains and evicts.
	if err := cs.PolicyV1().PodDisruptionBudgets("default").Delete(ctx, "web", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if out, err := run(k3s.DrainStep); err != nil || !strings.Contains(out, "drained agent-1") || lastLine(out) != "changed" {
		t.Fatalf("drain after the fix: %v\n%s", err, out)
	}
	if _, err := cs.CoreV1().Pods("default").Get(ctx, "web-1", metav1.GetOptions{}); err == nil {
		t.Error("the pod was not evicted")
	}
	if out, err := run(k3s.DrainStep); err != nil || lastLine(out) != "unchanged" {
		t.Errorf("a second drain for the same restart key: %v\n%s", err, out)
	}
	if out, err := run(k3s.UncordonStep); err != nil || !strings.Contains(out, "uncordoned agent-1") || unschedulable() {
		t.Fatalf("uncordon: %v\n%s", err, out)
	}
	if out, err := run(k3s.UncordonStep); err != nil || lastLine(out) != "unchanged" {
		t.Errorf("a second uncordon: %v\n%s", err, out)
	}

	// A node the operator cordoned stays cordoned after the upgrade.
	in.Cluster.Version = "v1.34.5+k3s1" // a new restart key: a new drain
	if _, err := exec.Command(kubectl, "--kubeconfig", kubeconfig, "cordon", "agent-1").CombinedOutput(); err != nil {
		t.Fatal(err)
	}
	if out, err := run(k3s.DrainStep); err != nil || !strings.Contains(out, "drained agent-1") {
		t.Fatalf("drain of a cordoned node: %v\n%s", err, out)
	}
	if out, err := run(k3s.UncordonStep); err != nil || lastLine(out) != "unchanged" || !unschedulable() {
		t.Errorf("uncordon touched a node the operator had cordoned: %v\n%s", err, out)
	}
}
