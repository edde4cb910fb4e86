package realapi_test

import (
	"context"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"k3s-onprem/components/k3s"
	"k3s-onprem/components/loadbalancer"
	"k3s-onprem/components/podsecurity"
	"k3s-onprem/internal/namespaces"
	"k3s-onprem/tests/realapi/apiserver"
)

// clusterLayer renders the layer a stack with every component deploys
// (every namespace of the registry: MetalLB, both ingress controllers,
// Falco in daemonset mode, the responder), from the same pure functions the
// components register.
func clusterLayer(t *testing.T) (*podsecurity.Manifests, loadbalancer.Config) {
	t.Helper()
	m, err := podsecurity.Render(podsecurity.Config{
		Mode: podsecurity.ModePSA, KubeMinor: 34,
		Namespaces: namespaces.For(namespaces.Every),
		Network:    podsecurity.Network{InternalCIDR: "192.168.122.0/24", ServiceCIDR: "10.43.0.0/16", ClusterCIDR: "10.42.0.0/16"},
	})
	if err != nil {
		t.Fatal(err)
	}
	lb := loadbalancer.Config{Pools: []loadbalancer.Pool{
		{Name: "external", Range: "192.168.1.200-192.168.1.240", Interfaces: []string{"eth1"}},
		{Name: "internal", Range: "192.168.122.200-192.168.122.240", Interfaces: []string{"eth0"}},
	}}
	return m, lb
}

// startK3sLikeServer starts kube-apiserver and kube-controller-manager
// with the arguments and files components/k3s renders for a server.
func startK3sLikeServer(t *testing.T) *apiserver.Server {
	t.Helper()
	cluster := k3s.ClusterConfig{
		Version: apiserver.KubeVersion() + "+k3s1", InternalCIDR: "192.168.122.0/24",
		ClusterCIDR: "10.42.0.0/16", ServiceCIDR: "10.43.0.0/16", VIP: "192.168.122.100",
	}
	cfg, err := k3s.BuildConfig(cluster, k3s.NodeConfig{Name: "server-1", Role: k3s.RoleServer, InternalAddress: "192.168.122.11", InternalInterface: "eth0"})
	if err != nil {
		t.Fatal(err)
	}
	_, files, err := k3s.ServerAPIServerArgs(cluster)
	if err != nil {
		t.Fatal(err)
	}
	return apiserver.Start(t, apiserver.Options{
		ExtraArgs: cfg.KubeAPIServerArg, Files: files, NoSecretsEncryption: !cfg.SecretsEncryption,
		ServiceCIDR: cfg.ServiceCIDR, ClusterCIDR: cfg.ClusterCIDR,
		WithControllerManager: true, ControllerManagerArgs: cfg.KubeControllerManagerArg,
	})
}

// TestClusterLayer applies the pod security layer, the real MetalLB CRDs
// and the pools to a real API server and checks the blog's claims against
// them: pools validate, the editor's privileged pods never run, the
// default token stays unmounted in namespaces created later, and every
// managed namespace has its NetworkPolicies.
func TestClusterLayer(t *testing.T) {
	srv := startK3sLikeServer(t)
	admin := kubernetes.NewForConfigOrDie(srv.RESTConfig())
	a := newApplier(t, srv.RESTConfig())
	m, lb := clusterLayer(t)
	a.mustApply(t, m.Objects()...)

	t.Run("MetalLBPoolsAndAdvertisementsValidate", func(t *testing.T) {
		crds := metallbCRDs(t)
		for _, c := range crds {
			a.mustApply(t, c)
		}
		waitEstablished(t, a, crds)
		for _, p := range loadbalancer.IPAddressPools(lb) {
			a.mustApply(t, &p)
		}
		for _, ad := range loadbalancer.L2Advertisements(lb) {
			a.mustApply(t, &ad)
		}
		bad := loadbalancer.IPAddressPools(lb)[0]
		bad.Name, bad.Spec.Addresses = "no-addresses", nil
		err := a.apply(testCtx(t), &bad)
		if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "addresses") {
			t.Errorf("pool without addresses: %v, want Invalid naming spec.addresses", err)
		}
		badAd := map[string]any{
			"apiVersion": "metallb.io/v1beta1", "kind": "L2Advertisement",
			"metadata": map[string]any{"name": "bad-interfaces", "namespace": loadbalancer.Namespace},
			"spec":     map[string]any{"interfaces": "eth0"},
		}
		// Server-side apply checks the CRD's schema while building the
		// patch, so a wrong type fails there rather than as Invalid.
		if err := a.apply(testCtx(t), badAd); err == nil || !strings.Contains(err.Error(), "spec.interfaces: expected list") {
			t.Errorf("advertisement with interfaces as a string: %v, want a rejection naming spec.interfaces", err)
		}
	})

	t.Run("EveryManagedNamespaceHasPoliciesAndNoDefaultToken", func(t *testing.T) {
		managed := append([]string(nil), podsecurity.ExistingNamespaces...)
		for _, ns := range m.Namespaces {
			managed = append(managed, ns.Name)
		}
		for _, ns := range managed {
			pols, err := admin.NetworkingV1().NetworkPolicies(ns).List(testCtx(t), metav1.ListOptions{})
			if err != nil {
				t.Fatal(err)
			}
			names := map[string]bool{}
			for _, p := range pols.Items {
				names[p.Name] = true
			}
			if !names[podsecurity.PolicyDefaultDeny] || !names[podsecurity.PolicyAllowDNS] {
				t.Errorf("%s: policies %v", ns, names)
			}
			sa, err := admin.CoreV1().ServiceAccounts(ns).Get(testCtx(t), "default", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if sa.AutomountServiceAccountToken == nil || *sa.AutomountServiceAccountToken {
				t.Errorf("%s: default service account still automounts its token", ns)
			}
		}
		ns, err := admin.CoreV1().Namespaces().Get(testCtx(t), loadbalancer.Namespace, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if ns.Labels[podsecurity.LabelEnforce] != podsecurity.Privileged || ns.Labels[podsecurity.LabelWarn] != podsecurity.Restricted {
			t.Errorf("%s labels %v", ns.Name, ns.Labels)
		}
	})

	// The blog's Part 2 user: an editor in its own namespace, created
	// from the documented new-namespace template.
	const userNS = "unprivileged-user"
	tns, tsa, tpols := podsecurity.NewNamespaceTemplate(userNS, []string{"ingress-nginx"})
	a.mustApply(t, &tns, &tsa)
	for i := range tpols {
		a.mustApply(t, &tpols[i])
	}
	createNamespace(t, admin, userNS, nil)
	if _, err := admin.CoreV1().ServiceAccounts(userNS).Create(testCtx(t), &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "fake-user"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.RbacV1().RoleBindings(userNS).Create(testCtx(t), &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "fake-editor"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "edit"},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: "fake-user", Namespace: userNS}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	user := kubernetes.NewForConfigOrDie(srv.ImpersonatedConfig("system:serviceaccount:"+userNS+":fake-user",
		"system:serviceaccounts", "system:serviceaccounts:"+userNS, "system:authenticated"))
	waitUntilAllowed(t, user, userNS, "create", "", "pods")
	waitUntilAllowed(t, user, userNS, "create", "apps", "deployments")

	t.Run("EditorsPrivilegedDeploymentYieldsNoPods", func(t *testing.T) {
		ctx := testCtx(t)
		labels := map[string]string{"app": "privileged-deploy"}
		dep := &appsv1.Deployment{
			ObjectMeta: metav1.ObjectMeta{Name: "privileged-deploy", Labels: labels},
			Spec: appsv1.DeploymentSpec{
				Replicas: ptr.To(int32(1)),
				Selector: &metav1.LabelSelector{MatchLabels: labels},
				Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: privilegedDeployPodSpec()},
			},
		}
		// The edit role gains its rules from the clusterrole-aggregation
		// controller, which may not have run yet on a fresh control plane.
		err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
			_, err := user.AppsV1().Deployments(userNS).Create(ctx, dep, metav1.CreateOptions{})
			return err == nil, ignoreForbidden(err)
		})
		if err != nil {
			t.Fatalf("the editor cannot create the Deployment: %v", err)
		}
		msg := replicaFailure(t, admin, userNS, "app=privileged-deploy")
		if !strings.Contains(msg, `violates PodSecurity "restricted:latest"`) {
			t.Errorf("FailedCreate %q does not give the Pod Security reason", msg)
		}
		pods, err := admin.CoreV1().Pods(userNS).List(ctx, metav1.ListOptions{LabelSelector: "app=privileged-deploy"})
		if err != nil || len(pods.Items) != 0 {
			t.Errorf("pods: %v (%v), want none", len(pods.Items), err)
		}
	})

	t.Run("EditorsNsenterPodForbidden", func(t *testing.T) {
		_, err := user.CoreV1().Pods(userNS).Create(testCtx(t), nsenterPod(), metav1.CreateOptions{})
		assertPodSecurityRejected(t, err, "privileged", "hostNetwork", "hostPID")
	})

	t.Run("DefaultTokenRejectedInNamespaceCreatedLater", func(t *testing.T) {
		// A namespace nobody patched: its default service account hands
		// out tokens, so only the admission policy stands in the way.
		const late = "created-later"
		createNamespace(t, admin, late, nil)
		err := waitRejected(t, admin, late, compliantPod("uses-default-token"))
		if !strings.Contains(err.Error(), "automountServiceAccountToken: false") || !strings.Contains(err.Error(), podsecurity.AutomountPolicyName) {
			t.Errorf("rejection %v does not come from %s", err, podsecurity.AutomountPolicyName)
		}
		pod := compliantPod("no-token")
		pod.Spec.AutomountServiceAccountToken = ptr.To(false)
		if _, err := admin.CoreV1().Pods(late).Create(testCtx(t), pod, metav1.CreateOptions{}); err != nil {
			t.Errorf("pod with automountServiceAccountToken: false rejected: %v", err)
		}
		own := compliantPod("own-account")
		if _, err := admin.CoreV1().ServiceAccounts(late).Create(testCtx(t), &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "app"}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		own.Spec.ServiceAccountName = "app"
		if _, err := admin.CoreV1().Pods(late).Create(testCtx(t), own, metav1.CreateOptions{}); err != nil {
			t.Errorf("pod with its own service account rejected: %v", err)
		}
		if _, err := user.CoreV1().Pods(userNS).Create(testCtx(t), compliantPod("editor-default-token"), metav1.CreateOptions{}); err == nil {
			t.Error("the editor's pod on the default account was admitted")
		}
	})
}

func ignoreForbidden(err error) error {
	if apierrors.IsForbidden(err) {
		return nil
	}
	return err
}

// replicaFailure waits for a ReplicaSet selected by selector to report
// ReplicaFailure (kube-controller-manager could not create its pod) and
// returns the condition's message.
func replicaFailure(t *testing.T, cs kubernetes.Interface, ns, selector string) string {
	t.Helper()
	var msg string
	err := wait.PollUntilContextTimeout(testCtx(t), 200*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		rss, err := cs.AppsV1().ReplicaSets(ns).List(ctx, metav1.ListOptions{LabelSelector: selector})
		if err != nil {
			return false, err
		}
		for _, rs := range rss.Items {
			for _, c := range rs.Status.Conditions {
				if c.Type == appsv1.ReplicaSetReplicaFailure && c.Status == corev1.ConditionTrue {
					msg = c.Message
					return true, nil
				}
			}
		}
		return false, nil
	})
	if err != nil {
		t.Fatalf("no ReplicaFailure for %s in %s: %v", selector, ns, err)
	}
	return msg
}

// waitRejected dry-runs pod until the API server rejects it (a new
// admission policy takes effect once the API server has loaded it) and
// returns the rejection.
func waitRejected(t *testing.T, cs kubernetes.Interface, ns string, pod *corev1.Pod) error {
	t.Helper()
	var rejected error
	err := wait.PollUntilContextTimeout(testCtx(t), 200*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		_, err := cs.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		if err == nil {
			return false, nil
		}
		if !apierrors.IsForbidden(err) && !apierrors.IsInvalid(err) {
			return false, err
		}
		rejected = err
		return true, nil
	})
	if err != nil {
		t.Fatalf("pod %s/%s never rejected: %v", ns, pod.Name, err)
	}
	return rejected
}
