package realapi_test

import (
	"bytes"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"k3s-onprem/components/podsecurity"
	"k3s-onprem/stacks"
	"k3s-onprem/tests/realapi/apiserver"
)

// pspKubeMinor is the last Kubernetes minor with PodSecurityPolicy.
const pspKubeMinor = 24

// kubeMinorUnderTest is the minor of the kube-apiserver this run starts.
func kubeMinorUnderTest(t *testing.T) int {
	t.Helper()
	v, err := stacks.ParseK3sVersion(apiserver.KubeVersion() + "+k3s1")
	if err != nil {
		t.Fatal(err)
	}
	return v.Minor
}

// TestK3sRenderedServerPSP is TestK3sRenderedServer for k3s <= 1.24: the
// prod server's rendered kube-apiserver flags for that line (the
// PodSecurityPolicy admission plugin) and the program's rendered policies
// (system-unrestricted-psp, global-restricted-psp, their roles and
// bindings) on a real kube-apiserver v1.24. A user with nothing but the
// right to create pods (the test's own RBAC; the program grants no app
// team anything) cannot create the blog's privileged nsenter pod, can
// create a restricted-compliant one, and kube-system's service accounts
// keep the unrestricted policy. Runs only with KUBE_VERSION=v1.24.x
// (make test-psp).
func TestK3sRenderedServerPSP(t *testing.T) {
	if m := kubeMinorUnderTest(t); m > pspKubeMinor {
		t.Skipf("PodSecurityPolicy exists up to Kubernetes 1.%d; this run starts %s (make test-psp runs v1.24)", pspKubeMinor, apiserver.KubeVersion())
	}
	srv := apiserver.Start(t, renderedProdOptions(t))
	if !strings.Contains(strings.Join(srv.Args(), " "), "PodSecurityPolicy") {
		t.Fatalf("the rendered 1.%d server does not enable the PodSecurityPolicy admission plugin: %v", kubeMinorUnderTest(t), srv.Args())
	}
	admin := kubernetes.NewForConfigOrDie(srv.RESTConfig())
	m, err := podsecurity.Render(podsecurity.Config{Mode: podsecurity.ModePSP, KubeMinor: kubeMinorUnderTest(t),
		Network: podsecurity.Network{InternalCIDR: "192.168.122.0/24", ServiceCIDR: "10.44.0.0/16"}})
	if err != nil {
		t.Fatal(err)
	}
	a := newApplier(t, srv.RESTConfig())
	a.mustApply(t, m.Objects()...)

	const ns, user = "rendered-apps", "app-team"
	createNamespace(t, admin, ns, nil)
	// Test setup, not the program: the user may create pods anywhere.
	a.mustApply(t,
		&rbacv1.ClusterRole{TypeMeta: metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRole"},
			ObjectMeta: metav1.ObjectMeta{Name: "test-pod-creator"},
			Rules:      []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"create", "get"}}}},
		&rbacv1.ClusterRoleBinding{TypeMeta: metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRoleBinding"},
			ObjectMeta: metav1.ObjectMeta{Name: "test-pod-creator"},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "test-pod-creator"},
			Subjects:   []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: user}}},
	)
	asUser := rest.CopyConfig(srv.RESTConfig())
	asUser.Impersonate = rest.ImpersonationConfig{UserName: user, Groups: []string{"system:authenticated"}}
	team := kubernetes.NewForConfigOrDie(asUser)
	waitUntilAllowed(t, team, ns, "create", "", "pods")

	t.Run("BlogNsenterPodRejected", func(t *testing.T) {
		_, err := team.CoreV1().Pods(ns).Create(testCtx(t), nsenterPod(), metav1.CreateOptions{})
		if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "PodSecurityPolicy: unable to admit pod") {
			t.Fatalf("got %v, want Forbidden by PodSecurityPolicy", err)
		}
		for _, v := range []string{"Privileged containers are not allowed", "Host PID is not allowed", "Host network is not allowed"} {
			if !strings.Contains(err.Error(), v) {
				t.Errorf("rejection does not mention %q: %v", v, err)
			}
		}
	})

	t.Run("CompliantPodAdmitted", func(t *testing.T) {
		p, err := team.CoreV1().Pods(ns).Create(testCtx(t), compliantPod("compliant"), metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("restricted-compliant pod rejected: %v", err)
		}
		if got := p.Annotations["kubernetes.io/psp"]; got != podsecurity.PSPGlobalRestricted {
			t.Errorf("admitted under PSP %q, want %s", got, podsecurity.PSPGlobalRestricted)
		}
	})

	t.Run("KubeSystemServiceAccountsUnrestricted", func(t *testing.T) {
		pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "system-agent"}, Spec: privilegedDeployPodSpec()}
		pod.Spec.ServiceAccountName = "default"
		p, err := team.CoreV1().Pods("kube-system").Create(testCtx(t), pod, metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("privileged pod of a kube-system service account rejected: %v", err)
		}
		if got := p.Annotations["kubernetes.io/psp"]; got != podsecurity.PSPSystemUnrestricted {
			t.Errorf("admitted under PSP %q, want %s", got, podsecurity.PSPSystemUnrestricted)
		}
	})

	t.Run("SecretsEncryptedAtRest", func(t *testing.T) {
		raw := secretInEtcd(t, srv, admin, ns, "rendered-secret", "rendered-plaintext-value")
		if !bytes.HasPrefix(raw, []byte("k8s:enc:aescbc:v1:")) {
			t.Errorf("etcd value starts with %q, want k8s:enc:aescbc:v1:", raw[:min(len(raw), 40)])
		}
	})
}
