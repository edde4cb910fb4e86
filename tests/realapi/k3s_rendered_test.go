package realapi_test

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"k3s-onprem/components/k3s"
	"k3s-onprem/stacks"
	"k3s-onprem/tests/realapi/apiserver"
)

// TestK3sRenderedServer starts kube-apiserver with exactly what
// components/k3s renders for a server of the prod stack (config.yaml's
// kube-apiserver-arg, including the audit webhook to Falco,
// kube-controller-manager-arg, secrets-encryption, service and cluster
// CIDRs, plus the files those args name) and checks the security claims
// against it, with one configured exemption to prove
// podSecurity.exemptNamespaces reaches the admission config (prod itself
// has none). If the renderer emits a flag or file the apiserver rejects,
// this fails.
func TestK3sRenderedServer(t *testing.T) {
	if kubeMinorUnderTest(t) <= pspKubeMinor {
		t.Skipf("Pod Security Admission is the 1.25+ rendering; TestK3sRenderedServerPSP covers %s", apiserver.KubeVersion())
	}
	srv := apiserver.Start(t, renderedProdOptions(t, k3s.Exemption{Namespace: "metallb-system", Reason: "MetalLB speakers need hostNetwork and NET_RAW"}))
	t.Logf("kube-apiserver %s", strings.Join(srv.Args(), " "))
	admin := kubernetes.NewForConfigOrDie(srv.RESTConfig())

	const ns = "rendered-apps"
	createNamespace(t, admin, ns, nil)

	t.Run("AnonymousRequestIsUnauthorized", func(t *testing.T) {
		_, err := kubernetes.NewForConfigOrDie(srv.AnonymousConfig()).Discovery().ServerVersion()
		if !apierrors.IsUnauthorized(err) {
			t.Fatalf("anonymous /version: %v, want Unauthorized", err)
		}
	})

	t.Run("BlogPodsRejectedByDefault", func(t *testing.T) {
		pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "privileged-deploy"}, Spec: privilegedDeployPodSpec()}
		_, err := admin.CoreV1().Pods(ns).Create(testCtx(t), pod, metav1.CreateOptions{})
		assertPodSecurityRejected(t, err, "privileged", "hostNetwork", "hostPID")
		_, err = admin.CoreV1().Pods(ns).Create(testCtx(t), nsenterPod(), metav1.CreateOptions{})
		assertPodSecurityRejected(t, err, "privileged", "hostNetwork", "hostPID")
	})

	t.Run("CompliantPodAdmitted", func(t *testing.T) {
		if _, err := admin.CoreV1().Pods(ns).Create(testCtx(t), compliantPod("compliant"), metav1.CreateOptions{}); err != nil {
			t.Fatalf("restricted-compliant pod rejected: %v", err)
		}
	})

	t.Run("ConfiguredExemptionApplies", func(t *testing.T) {
		createNamespace(t, admin, "metallb-system", nil)
		pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "speaker"}, Spec: privilegedDeployPodSpec()}
		if _, err := admin.CoreV1().Pods("metallb-system").Create(testCtx(t), pod, metav1.CreateOptions{}); err != nil {
			t.Fatalf("privileged pod in exempt metallb-system rejected: %v", err)
		}
	})

	t.Run("SecretsEncryptedAtRest", func(t *testing.T) {
		raw := secretInEtcd(t, srv, admin, ns, "rendered-secret", "rendered-plaintext-value")
		if !bytes.HasPrefix(raw, []byte("k8s:enc:aescbc:v1:")) {
			t.Errorf("etcd value starts with %q, want k8s:enc:aescbc:v1:", raw[:min(len(raw), 40)])
		}
	})

	t.Run("AuditLogLevels", func(t *testing.T) {
		path := srv.AuditLogPath()
		if path == "" {
			t.Fatal("rendered args set no audit log file")
		}
		ctx := testCtx(t)
		if _, err := admin.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Name: "audited-secret"}, StringData: map[string]string{"v": "rendered-audit-secret-value"},
		}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := admin.CoreV1().Pods(ns).Create(ctx, compliantPod("audited-pod"), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := admin.RbacV1().Roles(ns).Create(ctx, &rbacv1.Role{
			ObjectMeta: metav1.ObjectMeta{Name: "rendered-role"},
			Rules:      []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"get"}}},
		}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		sec := waitAudit(t, path, "secret create", func(e auditEvent) bool {
			return e.Verb == "create" && e.ObjectRef.Resource == "secrets" && e.ObjectRef.Name == "audited-secret"
		})
		if sec.Level != "Metadata" || hasBody(sec.RequestObject) || hasBody(sec.ResponseObject) {
			t.Errorf("secret create audited at %s with bodies %v/%v, want Metadata without bodies",
				sec.Level, hasBody(sec.RequestObject), hasBody(sec.ResponseObject))
		}
		if bytes.Contains(mustRead(t, path), []byte("rendered-audit-secret-value")) {
			t.Error("audit log contains a secret's value")
		}
		role := waitAudit(t, path, "role create", func(e auditEvent) bool {
			return e.Verb == "create" && e.ObjectRef.Resource == "roles" && e.ObjectRef.Name == "rendered-role"
		})
		if role.Level != "RequestResponse" || !hasBody(role.RequestObject) || !hasBody(role.ResponseObject) {
			t.Errorf("RBAC write audited at %s, want RequestResponse with both bodies", role.Level)
		}
		pod := waitAudit(t, path, "pod create", func(e auditEvent) bool {
			return e.Verb == "create" && e.ObjectRef.Resource == "pods" && e.ObjectRef.Subresource == "" && e.ObjectRef.Name == "audited-pod"
		})
		if pod.Level == "None" || pod.Level == "" {
			t.Errorf("pod create audited at %q, want it audited", pod.Level)
		}
	})
}

// renderedProdOptions are the kube-apiserver options of a prod server as
// components/k3s renders them (config.yaml's kube-apiserver-arg,
// kube-controller-manager-arg, secrets-encryption, service and cluster
// CIDRs, plus the files those args name), with extra PSA exemptions. What
// k3s itself adds comes from the harness's one emulation table
// (apiserver/args.go, k3sAPIServerDefaults).
func renderedProdOptions(t *testing.T, exemptions ...k3s.Exemption) apiserver.Options {
	t.Helper()
	spec, err := stacks.DecodeStackFile("../..", "prod")
	if err != nil {
		t.Fatal(err)
	}
	cluster, err := stacks.K3sClusterConfig(spec)
	if err != nil {
		t.Fatal(err)
	}
	// The renderer keys flags on the minor version; render for the
	// Kubernetes version the harness actually runs.
	cluster.Version = apiserver.KubeVersion() + "+k3s1"
	cluster.PodSecurity.Exemptions = append(cluster.PodSecurity.Exemptions, exemptions...)
	cfg, err := k3s.BuildConfig(cluster, k3s.NodeConfig{Name: "server-0", Role: k3s.RoleServer, InternalAddress: "192.168.122.11", InternalInterface: "eth1"})
	if err != nil {
		t.Fatal(err)
	}
	args, files, err := k3s.ServerAPIServerArgs(cluster)
	if err != nil {
		t.Fatal(err)
	}
	// The two exports must agree, or the test would check something
	// other than what config.yaml deploys.
	if !reflect.DeepEqual(args, cfg.KubeAPIServerArg) {
		t.Fatalf("ServerAPIServerArgs and config.yaml disagree:\n%q\n%q", args, cfg.KubeAPIServerArg)
	}
	if !cfg.SecretsEncryption {
		t.Error("server config.yaml does not turn on secrets-encryption")
	}
	return apiserver.Options{
		ExtraArgs:             cfg.KubeAPIServerArg,
		Files:                 files,
		NoSecretsEncryption:   !cfg.SecretsEncryption,
		ServiceCIDR:           cfg.ServiceCIDR,
		ClusterCIDR:           cfg.ClusterCIDR,
		WithControllerManager: true,
		ControllerManagerArgs: cfg.KubeControllerManagerArg,
	}
}
