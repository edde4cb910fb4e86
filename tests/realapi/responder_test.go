package realapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	authv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"

	"k3s-onprem/internal/responder"
	"k3s-onprem/tests/realapi/apiserver"
	"k3s-onprem/tests/responderload"
)

const responderSecret = "realapi-responder-shared-secret"

// responderEnv is a real API server, the responder's ServiceAccount with
// exactly the RBAC rules responder.Permissions returns (what
// components/responder deploys), and the responder serving over TLS with a
// client that authenticates as that ServiceAccount. A missing permission
// therefore fails here, not in production.
type responderEnv struct {
	admin kubernetes.Interface
	url   string
	http  *http.Client
	// rest is the responder's own client configuration (its token).
	rest *rest.Config
}

func startResponder(t testing.TB, srv *apiserver.Server, mod func(*responder.Config)) *responderEnv {
	t.Helper()
	ctx := testCtx(t)
	admin := kubernetes.NewForConfigOrDie(srv.RESTConfig())
	cfg := responder.DefaultConfig()
	if mod != nil {
		mod(cfg)
	}
	createNamespace(t, admin, cfg.OwnNamespace, nil)
	name := "falco-responder"
	if _, err := admin.CoreV1().ServiceAccounts(cfg.OwnNamespace).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	rules, err := responder.Permissions(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name}, Rules: rules}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	if _, err := admin.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: name},
		Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: name, Namespace: cfg.OwnNamespace}},
	}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	tok, err := admin.CoreV1().ServiceAccounts(cfg.OwnNamespace).CreateToken(ctx, name, &authv1.TokenRequest{
		Spec: authv1.TokenRequestSpec{ExpirationSeconds: ptr.To(int64(3600))},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("token for the responder's ServiceAccount: %v", err)
	}
	// As deployed: a bound token from the TokenRequest API in a file that
	// client-go re-reads (components/responder refreshes it on the host).
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte(tok.Status.Token), 0o600); err != nil {
		t.Fatal(err)
	}
	rc := &rest.Config{
		Host:            srv.URL(),
		TLSClientConfig: rest.TLSClientConfig{CAData: srv.CAPEM()},
		BearerTokenFile: tokenFile,
	}
	rc.QPS, rc.Burst = responder.ClientRateLimits(cfg) // as cmd/responder sets them
	s, err := responder.New(responder.Options{
		Config: cfg, Client: kubernetes.NewForConfigOrDie(rc), Secret: []byte(responderSecret),
		Logger: slog.New(slog.DiscardHandler), Instance: "realapi",
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	// The deployed server: its deadlines and connection limits
	// (cmd/responder serves srv.HTTPServer over srv.Listener).
	hs := httptest.NewUnstartedServer(nil)
	deployed := s.HTTPServer(nil, nil)
	hs.Config.Handler, hs.Config.ReadHeaderTimeout, hs.Config.ReadTimeout = deployed.Handler, deployed.ReadHeaderTimeout, deployed.ReadTimeout
	hs.Config.WriteTimeout, hs.Config.IdleTimeout, hs.Config.ConnState = deployed.WriteTimeout, deployed.IdleTimeout, deployed.ConnState
	hs.Listener = s.Listener(hs.Listener)
	hs.StartTLS()
	t.Cleanup(hs.Close)
	c := hs.Client()
	c.Timeout = 30 * time.Second
	// A sender that reuses its connections and keeps them under the
	// responder's per-source cap (connections.perSource, default 128): at
	// the cap the responder displaces the oldest connection that has not
	// sent a request, which under a burst is the sender's own handshake.
	c.Transport.(*http.Transport).MaxIdleConnsPerHost = 64
	c.Transport.(*http.Transport).MaxConnsPerHost = 100
	return &responderEnv{admin: admin, url: hs.URL + responder.WebhookPath, http: c, rest: rc}
}

// event is a falcosidekick payload as Falco emits it for a syscall rule.
func event(rule, priority, ns, pod string) []byte { return eventUID(rule, priority, ns, pod, "") }

// eventUID is event with Falco's k8s.pod.uid output field when uid is set.
func eventUID(rule, priority, ns, pod, uid string) []byte {
	return responderload.Event(rule, priority, ns, pod, uid, "worker01")
}

// tryPost posts an authenticated event and reports errors instead of
// failing (safe from any goroutine).
func (e *responderEnv) tryPost(body []byte) (int, map[string]any, error) {
	req, err := http.NewRequest(http.MethodPost, e.url, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+responderSecret)
	resp, err := e.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	var out map[string]any
	err = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out, err
}

func (e *responderEnv) post(t testing.TB, body []byte, auth bool) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if auth {
		req.Header.Set("Authorization", "Bearer "+responderSecret)
	}
	resp, err := e.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// phpDeployment is the blog's PHP webshell app, reduced to what the API
// server needs (no kubelet runs here, so pods stay Pending, which is all
// the ReplicaSet controller needs to replace a deleted one).
func phpDeployment() *appsv1.Deployment {
	labels := map[string]string{"app": "php"}
	pod := compliantPod("")
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "php"},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To(int32(1)),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: pod.Spec},
		},
	}
}

// onePod waits until the selector matches exactly one live pod.
func onePod(t *testing.T, cs kubernetes.Interface, ns, selector string) corev1.Pod {
	t.Helper()
	var pod corev1.Pod
	err := wait.PollUntilContextTimeout(testCtx(t), 50*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		l, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: selector})
		if err != nil {
			return false, err
		}
		var live []corev1.Pod
		for _, p := range l.Items {
			if p.DeletionTimestamp == nil {
				live = append(live, p)
			}
		}
		if len(live) == 1 {
			pod = live[0]
			return true, nil
		}
		return false, nil
	})
	if err != nil {
		t.Fatalf("waiting for one %s pod in %s: %v", selector, ns, err)
	}
	return pod
}

func podUIDs(t *testing.T, cs kubernetes.Interface, ns string) []string {
	t.Helper()
	l, err := cs.CoreV1().Pods(ns).List(testCtx(t), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var uids []string
	for _, p := range l.Items {
		uids = append(uids, string(p.UID))
	}
	sort.Strings(uids)
	return uids
}

func TestResponderAgainstRealAPIServer(t *testing.T) {
	srv := apiserver.Start(t, apiserver.Options{WithControllerManager: true})
	env := startResponder(t, srv, nil)
	cs := env.admin
	ctx := testCtx(t)
	createNamespace(t, cs, "shop", nil)
	if _, err := cs.AppsV1().Deployments("shop").Create(ctx, phpDeployment(), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	first := onePod(t, cs, "shop", "app=php")

	t.Run("non-matching rule changes nothing", func(t *testing.T) {
		code, _ := env.post(t, event("Contact K8S API Server From Container", "Notice", "shop", first.Name), true)
		if code != http.StatusUnprocessableEntity {
			t.Fatalf("status %d", code)
		}
	})
	t.Run("unauthenticated request changes nothing", func(t *testing.T) {
		code, _ := env.post(t, event("Terminal shell in container", "Notice", "shop", first.Name), false)
		if code != http.StatusUnauthorized {
			t.Fatalf("status %d", code)
		}
	})
	t.Run("malformed body changes nothing", func(t *testing.T) {
		code, _ := env.post(t, []byte(`{"rule":"Terminal shell in container","output_fields":`), true)
		if code != http.StatusBadRequest {
			t.Fatalf("status %d", code)
		}
	})
	if got := onePod(t, cs, "shop", "app=php"); got.UID != first.UID {
		t.Fatalf("a rejected event changed the pod: %s -> %s", first.UID, got.UID)
	}

	t.Run("kube-system pod is skipped", func(t *testing.T) {
		p := compliantPod("coredns-lookalike")
		if _, err := cs.CoreV1().Pods("kube-system").Create(ctx, p, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		before := podUIDs(t, cs, "kube-system")
		code, body := env.post(t, event("Terminal shell in container", "Notice", "kube-system", p.Name), true)
		if code != http.StatusOK || body["reason"] != responder.ReasonProtectedNamespace {
			t.Fatalf("%d %v", code, body)
		}
		if after := podUIDs(t, cs, "kube-system"); fmt.Sprint(after) != fmt.Sprint(before) {
			t.Fatalf("kube-system pods changed: %v -> %v", before, after)
		}
	})

	t.Run("matching event deletes the pod within a second and the ReplicaSet replaces it", func(t *testing.T) {
		start := time.Now()
		code, body := env.post(t, event("Launch Package Management Process in Container", "Error", "shop", first.Name), true)
		if code != http.StatusOK || body["outcome"] != string(responder.StatusActed) {
			t.Fatalf("%d %v", code, body)
		}
		_, err := cs.CoreV1().Pods("shop").Get(ctx, first.Name, metav1.GetOptions{})
		took := time.Since(start)
		if !apierrors.IsNotFound(err) {
			t.Fatalf("pod still there after the response: %v", err)
		}
		if took > time.Second {
			t.Errorf("event to deletion took %s, want < 1s", took)
		}
		t.Logf("event to deletion (response, then confirmed gone): %s", took.Round(time.Microsecond))
		repl := onePod(t, cs, "shop", "app=php")
		if repl.UID == first.UID || repl.Name == first.Name {
			t.Fatalf("no replacement pod: %s", repl.Name)
		}
		// The Event is recorded off the hot path, right after.
		owner := metav1.GetControllerOf(&first)
		var evs *corev1.EventList
		err = wait.PollUntilContextTimeout(ctx, 20*time.Millisecond, 10*time.Second, true, func(ctx context.Context) (bool, error) {
			var err error
			evs, err = cs.CoreV1().Events("shop").List(ctx, metav1.ListOptions{FieldSelector: fields.SelectorFromSet(fields.Set{
				"involvedObject.kind": "ReplicaSet", "involvedObject.name": owner.Name, "reason": "FalcoResponsePodDeleted",
			}).String()})
			return err == nil && len(evs.Items) > 0, err
		})
		if err != nil || len(evs.Items) != 1 || evs.Items[0].Type != corev1.EventTypeWarning {
			t.Fatalf("events on the ReplicaSet: %v %+v", err, evs)
		}
		t.Logf("event: %s", evs.Items[0].Message)
	})

	t.Run("audit event deletes a standalone pod", func(t *testing.T) {
		p := compliantPod("hostname-sudo")
		if _, err := cs.CoreV1().Pods("shop").Create(ctx, p, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		body, _ := json.Marshal(map[string]any{
			"rule": "Create HostNetwork Pod", "priority": "Warning", "source": "k8s_audit", "hostname": "server-1",
			"output": "Pod started using host network", "time": time.Now().UTC().Format(time.RFC3339Nano),
			"output_fields": map[string]any{"ka.resp.name": p.Name, "ka.target.namespace": "shop", "ka.target.resource": "pods", "ka.user.name": "admin"},
		})
		code, resp := env.post(t, body, true)
		if code != http.StatusOK || resp["outcome"] != string(responder.StatusActed) || resp["owner"] != "Pod/hostname-sudo" {
			t.Fatalf("%d %v", code, resp)
		}
		if _, err := cs.CoreV1().Pods("shop").Get(ctx, p.Name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Fatalf("pod still there: %v", err)
		}
	})

	// The case: the attacked pod was deleted by someone else and a
	// replacement of the same name exists (a StatefulSet's web-0); a late
	// event carrying the old pod's UID must not delete it. The API
	// server's UID precondition decides (409), with the event's UID.
	t.Run("event with the old UID does not delete a same-named replacement", func(t *testing.T) {
		old, err := cs.CoreV1().Pods("shop").Create(ctx, compliantPod("web-0"), metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if err := cs.CoreV1().Pods("shop").Delete(ctx, "web-0", metav1.DeleteOptions{GracePeriodSeconds: ptr.To(int64(0))}); err != nil {
			t.Fatal(err)
		}
		repl, err := cs.CoreV1().Pods("shop").Create(ctx, compliantPod("web-0"), metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		code, body := env.post(t, eventUID("Terminal shell in container", "Notice", "shop", "web-0", string(old.UID)), true)
		if code != http.StatusOK || body["reason"] != responder.ReasonPodReplaced {
			t.Fatalf("%d %v", code, body)
		}
		got, err := cs.CoreV1().Pods("shop").Get(ctx, "web-0", metav1.GetOptions{})
		if err != nil || got.UID != repl.UID {
			t.Fatalf("the replacement was deleted: %v", err)
		}
		// The replacement's own UID acts (a new pod: not a duplicate,
		// the first claim ended in pod_replaced, which is final for 30 s,
		// so use a fresh name for the positive case).
		fresh, err := cs.CoreV1().Pods("shop").Create(ctx, compliantPod("web-1"), metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		code, body = env.post(t, eventUID("Terminal shell in container", "Notice", "shop", "web-1", string(fresh.UID)), true)
		if code != http.StatusOK || body["outcome"] != string(responder.StatusActed) {
			t.Fatalf("%d %v", code, body)
		}
		if _, err := cs.CoreV1().Pods("shop").Get(ctx, "web-1", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Fatalf("pod with the event's UID still there: %v", err)
		}
	})
}

// TestResponderLatencyRealAPI measures, against the real API server, the
// time from posting an event to the response that reports the pod deleted
// (the handler answers after the DELETE returned), and the sustained event
// rate when every pod is reported many times (dedup on). It prints numbers
// and asserts only correctness, never time.
func TestResponderLatencyRealAPI(t *testing.T) {
	srv := apiserver.Start(t, apiserver.Options{WithControllerManager: true})
	// Default limits, as deployed.
	env := startResponder(t, srv, nil)
	cs := env.admin
	createNamespace(t, cs, "bench", nil)
	const pods = 520
	names := createPods(t, cs, "bench", "lat", pods)

	lat := make([]time.Duration, 0, pods)
	for _, n := range names {
		start := time.Now()
		code, body := env.post(t, event("Terminal shell in container", "Notice", "bench", n), true)
		lat = append(lat, time.Since(start))
		if code != http.StatusOK || body["outcome"] != string(responder.StatusActed) {
			t.Fatalf("%s: %d %v", n, code, body)
		}
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	t.Logf("event-to-deletion over %d events (sequential, real API server, SA token): p50 %s, p90 %s, p99 %s, max %s",
		len(lat), responderload.Percentile(lat, 50), responderload.Percentile(lat, 90), responderload.Percentile(lat, 99), lat[len(lat)-1].Round(time.Microsecond))
	if left := len(podUIDs(t, cs, "bench")); left != 0 {
		t.Fatalf("%d pods survived", left)
	}

	// Sustained: 200 pods, each reported 25 times by 8 concurrent senders,
	// as Falco does during an attack (every file the shell touches).
	const burstPods, repeats, workers = 200, 25, 8
	names = createPods(t, cs, "bench", "sus", burstPods)
	jobs := make(chan string)
	var acted, dup, other atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range jobs {
				code, body := env.post(t, event("Write below etc", "Error", "bench", n), true)
				switch {
				case code == http.StatusOK && body["outcome"] == string(responder.StatusActed):
					acted.Add(1)
				case code == http.StatusOK && body["reason"] == responder.ReasonDuplicate:
					dup.Add(1)
				default:
					other.Add(1)
				}
			}
		}()
	}
	start := time.Now()
	for r := range repeats {
		for i := range names {
			// Interleave so duplicates arrive while the first delete runs.
			jobs <- names[(i+r*7)%len(names)]
		}
	}
	close(jobs)
	wg.Wait()
	took := time.Since(start)
	total := burstPods * repeats
	t.Logf("sustained with dedup: %d events (%d pods x %d) in %s = %.0f events/s; %d deletes, %d duplicates, %d other",
		total, burstPods, repeats, took.Round(time.Millisecond), float64(total)/took.Seconds(), acted.Load(), dup.Load(), other.Load())
	if acted.Load() != burstPods || other.Load() != 0 {
		t.Fatalf("want exactly one delete per pod: %d deletes, %d unexpected answers", acted.Load(), other.Load())
	}
}

func createPods(t testing.TB, cs kubernetes.Interface, ns, prefix string, n int) []string {
	t.Helper()
	ctx := testCtx(t)
	names := make([]string, n)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	sem := make(chan struct{}, 16)
	for i := range n {
		names[i] = fmt.Sprintf("%s-%04d", prefix, i)
		wg.Add(1)
		sem <- struct{}{}
		go func(name string) {
			defer wg.Done()
			defer func() { <-sem }()
			if _, err := cs.CoreV1().Pods(ns).Create(ctx, compliantPod(name), metav1.CreateOptions{}); err != nil {
				errs <- err
			}
		}(names[i])
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	return names
}
