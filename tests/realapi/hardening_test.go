package realapi_test

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"k3s-onprem/tests/realapi/apiserver"
)

// psaPath is where a k3s server has its admission config (the rendered
// prod args name it; the harness maps it into the test's temp dir).
const psaPath = "/var/lib/rancher/k3s/server/psa.yaml"

// TestHardenedServer starts one control plane with the prod server's
// rendered arguments and files (renderedProdOptions, nothing hand-written)
// and checks the blog series' claims about users and workloads against it:
// the merge with k3s's own flags, RBAC, Pod Security for an editor, the
// Deployment that gets no pods, and the TLS policy. The audit levels are
// TestK3sRenderedServer/AuditLogLevels. One server for all subtests keeps
// the tier to one start (about 10 s).
func TestHardenedServer(t *testing.T) {
	srv := apiserver.Start(t, renderedProdOptions(t))
	admin := kubernetes.NewForConfigOrDie(srv.RESTConfig())

	// The blog's Part 2 setup: a namespace and a "fake-user" service
	// account with the built-in edit role there.
	const userNS = "unprivileged-user"
	createNamespace(t, admin, userNS, nil)
	ctx := testCtx(t)
	if _, err := admin.CoreV1().ServiceAccounts(userNS).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "fake-user"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.RbacV1().RoleBindings(userNS).Create(ctx, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "fake-editor"},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "edit"},
		Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: "fake-user", Namespace: userNS}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	user := kubernetes.NewForConfigOrDie(srv.ImpersonatedConfig(
		"system:serviceaccount:"+userNS+":fake-user",
		"system:serviceaccounts", "system:serviceaccounts:"+userNS, "system:authenticated"))
	waitUntilAllowed(t, user, userNS, "create", "", "pods")
	waitUntilAllowed(t, user, userNS, "create", "apps", "deployments")

	t.Run("CommandLineMergesLikeK3s", func(t *testing.T) {
		args := strings.Join(srv.Args(), " ")
		for _, want := range []string{
			"--anonymous-auth=false", "--authorization-mode=Node,RBAC", "--profiling=false", // k3s defaults kept
			"--enable-admission-plugins=NodeRestriction,EventRateLimit", // rendered value replaced k3s's
			"--admission-control-config-file=" + srv.HostPath(psaPath),  // host path mapped
		} {
			if !strings.Contains(args, want+" ") && !strings.HasSuffix(args, want) {
				t.Errorf("command line lacks %s:\n%s", want, args)
			}
		}
		if n := strings.Count(args, "--enable-admission-plugins="); n != 1 {
			t.Errorf("--enable-admission-plugins given %d times, want once", n)
		}
	})

	t.Run("AnonymousRequestIsUnauthorized", func(t *testing.T) {
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(srv.CAPEM())
		hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
		for _, path := range []string{"/api/v1/namespaces", "/version", "/readyz"} {
			resp, err := hc.Get(srv.URL() + path)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("anonymous GET %s: status %d, want 401 (anonymous-auth=false)", path, resp.StatusCode)
			}
		}
	})

	t.Run("UnprivilegedUserCannotListPodsClusterWide", func(t *testing.T) {
		_, err := user.CoreV1().Pods("").List(testCtx(t), metav1.ListOptions{})
		if !apierrors.IsForbidden(err) {
			t.Fatalf("fake-user listing pods in all namespaces: %v, want Forbidden", err)
		}
	})

	t.Run("PrivilegedDeployPodRejected", func(t *testing.T) {
		pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "privileged-deploy"}, Spec: privilegedDeployPodSpec()}
		_, err := user.CoreV1().Pods(userNS).Create(testCtx(t), pod, metav1.CreateOptions{})
		assertPodSecurityRejected(t, err, "privileged", "hostNetwork", "hostPID")
	})

	t.Run("NsenterPodRejected", func(t *testing.T) {
		for name, cs := range map[string]kubernetes.Interface{"fake-user": user, "admin": admin} {
			_, err := cs.CoreV1().Pods(userNS).Create(testCtx(t), nsenterPod(), metav1.CreateOptions{})
			t.Logf("as %s:", name)
			// Enforcement is per namespace, so even cluster-admin
			// cannot run it outside the exempt namespaces.
			assertPodSecurityRejected(t, err, "privileged", "hostNetwork", "hostPID")
		}
	})

	t.Run("CompliantPodAdmitted", func(t *testing.T) {
		if _, err := user.CoreV1().Pods(userNS).Create(testCtx(t), compliantPod("compliant"), metav1.CreateOptions{}); err != nil {
			t.Fatalf("restricted-compliant pod rejected: %v", err)
		}
	})

	t.Run("KubeSystemIsExempt", func(t *testing.T) {
		pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "privileged-system"}, Spec: privilegedDeployPodSpec()}
		createNamespace(t, admin, metav1.NamespaceSystem, nil)
		if _, err := admin.CoreV1().Pods(metav1.NamespaceSystem).Create(testCtx(t), pod, metav1.CreateOptions{}); err != nil {
			t.Fatalf("privileged pod in exempt kube-system rejected: %v", err)
		}
	})

	t.Run("PrivilegedDeploymentGetsNoPods", func(t *testing.T) {
		// As in the blog: the Deployment itself is accepted (PSA only
		// warns on workload objects), but its ReplicaSet cannot create
		// the pod. kube-controller-manager does the creating here.
		ctx := testCtx(t)
		dep := &appsv1.Deployment{
			ObjectMeta: metav1.ObjectMeta{Name: "privileged-deploy", Labels: map[string]string{"app": "privileged-deploy"}},
			Spec: appsv1.DeploymentSpec{
				Replicas: ptr.To(int32(1)),
				Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "privileged-deploy"}},
				Template: corev1.PodTemplateSpec{
					ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "privileged-deploy"}},
					Spec:       privilegedDeployPodSpec(),
				},
			},
		}
		warnings := &warningRecorder{}
		cfg := srv.ImpersonatedConfig("system:serviceaccount:"+userNS+":fake-user",
			"system:serviceaccounts", "system:serviceaccounts:"+userNS, "system:authenticated")
		cfg.WarningHandler = warnings
		if _, err := kubernetes.NewForConfigOrDie(cfg).AppsV1().Deployments(userNS).Create(ctx, dep, metav1.CreateOptions{}); err != nil {
			t.Fatalf("create deployment: %v", err)
		}
		if !warnings.contains(`would violate PodSecurity "restricted:latest"`) {
			t.Errorf("creating the privileged Deployment gave no Pod Security warning; warnings: %q", warnings.texts)
		}
		msg := replicaFailure(t, admin, userNS, "app=privileged-deploy")
		if !strings.Contains(msg, `violates PodSecurity "restricted:latest"`) {
			t.Errorf("ReplicaFailure message %q does not name Pod Security", msg)
		}
		pods, err := admin.CoreV1().Pods(userNS).List(ctx, metav1.ListOptions{LabelSelector: "app=privileged-deploy"})
		if err != nil {
			t.Fatal(err)
		}
		if len(pods.Items) != 0 {
			t.Errorf("privileged deployment has %d pods, want 0", len(pods.Items))
		}
	})

	t.Run("SecretsEncryptedAtRest", func(t *testing.T) {
		raw := secretInEtcd(t, srv, admin, userNS, "db-password", "hunter2-realapi-plaintext")
		if !bytes.HasPrefix(raw, []byte("k8s:enc:aescbc:v1:")) {
			t.Errorf("etcd value starts with %q, want k8s:enc:aescbc:v1:", raw[:min(len(raw), 40)])
		}
	})

	t.Run("TLSPolicy", func(t *testing.T) {
		u, err := url.Parse(srv.URL())
		if err != nil {
			t.Fatal(err)
		}
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(srv.CAPEM())
		handshake := func(cfg *tls.Config) error {
			cfg.RootCAs = pool
			d := &net.Dialer{Timeout: 10 * time.Second}
			c, err := tls.DialWithDialer(d, "tcp", u.Host, cfg)
			if err == nil {
				c.Close()
			}
			return err
		}
		// The server must refuse TLS 1.1 itself ("remote error"), not
		// the client. This also holds for Go's default server settings;
		// tls-min-version makes it explicit and survives a default change.
		err = handshake(&tls.Config{MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11}) //nolint:gosec // deliberately weak: must be refused
		if err == nil || !strings.Contains(err.Error(), "remote error") {
			t.Errorf("TLS 1.1 handshake: %v, want the server to refuse it", err)
		}
		// Go's default server would accept this CBC suite, so this is
		// what proves tls-cipher-suites reached the apiserver.
		if err := handshake(&tls.Config{MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA}}); err == nil {
			t.Error("TLS 1.2 with ECDHE-ECDSA-AES128-CBC-SHA succeeded, want refusal (not in tls-cipher-suites)")
		}
		if err := handshake(&tls.Config{MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}}); err != nil {
			t.Errorf("TLS 1.2 with ECDHE-ECDSA-AES128-GCM failed: %v", err)
		}
	})
}

// assertPodSecurityRejected checks that err is a Forbidden from the
// PodSecurity admission plugin (not RBAC, not a missing service account) and
// that it names each violation.
func assertPodSecurityRejected(t *testing.T, err error, violations ...string) {
	t.Helper()
	if err == nil {
		t.Fatal("pod was admitted, want rejection by Pod Security (restricted)")
	}
	if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), `violates PodSecurity "restricted:latest"`) {
		t.Fatalf("got %v, want Forbidden: violates PodSecurity \"restricted:latest\"", err)
	}
	for _, v := range violations {
		if !strings.Contains(err.Error(), v) {
			t.Errorf("rejection does not mention %q: %v", v, err)
		}
	}
}

// TestStartEFailsOnRejectedFlag proves the harness reports an apiserver that
// exits during start-up (here on an unknown flag) as an error carrying the
// apiserver's own message, instead of waiting out the timeout.
func TestStartEFailsOnRejectedFlag(t *testing.T) {
	start := time.Now()
	_, err := apiserver.StartE(t, apiserver.Options{ExtraArgs: []string{"no-such-flag=1"}, ReadyTimeout: time.Minute})
	if err == nil {
		t.Fatal("StartE accepted an unknown kube-apiserver flag")
	}
	if !strings.Contains(err.Error(), "unknown flag: --no-such-flag") {
		t.Errorf("error does not carry the apiserver's message:\n%v", err)
	}
	t.Logf("failed after %s as expected: %.300s", time.Since(start).Round(time.Millisecond), err)
}

// TestStartEFailsOnMissingFile proves a rendered arg that points at a file
// the test did not supply is caught before anything starts.
func TestStartEFailsOnMissingFile(t *testing.T) {
	_, err := apiserver.StartE(t, apiserver.Options{ExtraArgs: []string{"admission-control-config-file=/var/lib/rancher/k3s/server/nope.yaml"}})
	if err == nil || !strings.Contains(err.Error(), "not in Options.Files") {
		t.Fatalf("StartE with a missing file: %v, want a 'not in Options.Files' error", err)
	}
}

// TestKubeconfigWorks checks the exported kubeconfig and that the cluster is
// the version build.sh built (the -X version stamping worked).
func TestKubeconfigWorks(t *testing.T) {
	srv := apiserver.Start(t, apiserver.Options{NoSecretsEncryption: true})
	kc := srv.Kubeconfig()
	path := t.TempDir() + "/kubeconfig"
	if err := os.WriteFile(path, kc, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := clientcmdBuild(path)
	if err != nil {
		t.Fatal(err)
	}
	v, err := kubernetes.NewForConfigOrDie(cfg).Discovery().ServerVersion()
	if err != nil {
		t.Fatal(err)
	}
	want := os.Getenv("KUBE_VERSION")
	if want == "" {
		want = "v1.34.4"
	}
	if v.GitVersion != want {
		t.Errorf("server version %s, want %s", v.GitVersion, want)
	}
	t.Logf("apiserver ready after %s", srv.ReadyAfter().Round(time.Millisecond))
}

// TestEventRateLimitNeedsItsConfig pins a gotcha of the k3s hardening guide:
// enabling EventRateLimit without its entry in the admission configuration
// stops kube-apiserver from starting, so a renderer must emit both or
// neither.
func TestEventRateLimitNeedsItsConfig(t *testing.T) {
	psaOnly := []byte(`apiVersion: apiserver.config.k8s.io/v1
kind: AdmissionConfiguration
plugins:
  - name: PodSecurity
    configuration:
      apiVersion: pod-security.admission.config.k8s.io/v1
      kind: PodSecurityConfiguration
      defaults: {enforce: restricted, enforce-version: latest}
`)
	_, err := apiserver.StartE(t, apiserver.Options{
		ExtraArgs: []string{
			"enable-admission-plugins=NodeRestriction,EventRateLimit",
			"admission-control-config-file=" + psaPath,
		},
		Files:        map[string][]byte{psaPath: psaOnly},
		ReadyTimeout: time.Minute,
	})
	if err == nil {
		t.Fatal("kube-apiserver started with EventRateLimit but no EventRateLimit configuration")
	}
	if !strings.Contains(err.Error(), `couldn't init admission plugin \"EventRateLimit\"`) {
		t.Errorf("start failure does not name EventRateLimit:\n%v", err)
	}
	msg := err.Error()
	t.Logf("start failed as expected; end of the error: ...%s", msg[max(0, len(msg)-400):])
}
