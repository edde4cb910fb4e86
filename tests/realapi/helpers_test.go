package realapi_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/utils/ptr"

	"k3s-onprem/tests/realapi/apiserver"
)

// testCtx returns a context bounded well below the go test timeout, so a
// hung request fails one test with a message instead of killing the binary.
func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// createNamespace creates ns and waits for its default ServiceAccount: the
// ServiceAccount admission plugin rejects pods until kube-controller-manager
// has made it, which would hide the Pod Security decision we test.
func createNamespace(t testing.TB, cs kubernetes.Interface, name string, labels map[string]string) {
	t.Helper()
	ctx := testCtx(t)
	_, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatalf("create namespace %s: %v", name, err)
	}
	err = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		_, err := cs.CoreV1().ServiceAccounts(name).Get(ctx, "default", metav1.GetOptions{})
		return err == nil, nil
	})
	if err != nil {
		t.Fatalf("namespace %s: default service account never appeared: %v", name, err)
	}
}

// privilegedDeployPodSpec is the pod template of the blog's Part 2
// "privileged-deploy" Deployment: a root alpine shell with hostPID,
// hostNetwork and a privileged container.
func privilegedDeployPodSpec() corev1.PodSpec {
	return corev1.PodSpec{
		HostPID:     true,
		HostNetwork: true,
		Containers: []corev1.Container{{
			Name:            "alpine",
			Image:           "alpine",
			Stdin:           true,
			TTY:             true,
			SecurityContext: &corev1.SecurityContext{Privileged: ptr.To(true)},
		}},
	}
}

// nsenterPod is the blog's Part 2 "hostname-sudo" pod, which nsenters PID
// 1's mount namespace to get a root shell on the node.
func nsenterPod() *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "hostname-sudo"},
		Spec: corev1.PodSpec{
			HostPID:       true,
			HostNetwork:   true,
			RestartPolicy: corev1.RestartPolicyNever,
			Containers: []corev1.Container{{
				Name:      "busybox",
				Image:     "alpine:3.7",
				Command:   []string{"nsenter", "--mount=/proc/1/ns/mnt", "--", "sh", "-c", "exec /bin/bash"},
				Stdin:     true,
				TTY:       true,
				Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("10m")}},
				SecurityContext: &corev1.SecurityContext{
					Privileged: ptr.To(true),
				},
			}},
		},
	}
}

// compliantPod meets the "restricted" Pod Security Standard.
func compliantPod(name string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: corev1.PodSpec{
			SecurityContext: &corev1.PodSecurityContext{
				RunAsNonRoot:   ptr.To(true),
				RunAsUser:      ptr.To(int64(65534)),
				SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
			},
			Containers: []corev1.Container{{
				Name:  "app",
				Image: "registry.invalid/app:1.0", // never pulled: no kubelet here
				SecurityContext: &corev1.SecurityContext{
					AllowPrivilegeEscalation: ptr.To(false),
					Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
				},
			}},
		},
	}
}

// auditEvent is the part of an audit.k8s.io/v1 Event the tests look at.
// A local type keeps k8s.io/apiserver out of the module.
type auditEvent struct {
	Level     string `json:"level"`
	Stage     string `json:"stage"`
	Verb      string `json:"verb"`
	ObjectRef *struct {
		Resource    string `json:"resource"`
		Namespace   string `json:"namespace"`
		Name        string `json:"name"`
		Subresource string `json:"subresource"`
		APIGroup    string `json:"apiGroup"`
	} `json:"objectRef"`
	RequestObject  json.RawMessage `json:"requestObject"`
	ResponseObject json.RawMessage `json:"responseObject"`
}

func readAudit(t *testing.T, path string) []auditEvent {
	t.Helper()
	var evs []auditEvent
	sc := bufio.NewScanner(bytes.NewReader(mustRead(t, path)))
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var e auditEvent
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("audit log line is not an event: %v: %.200s", err, sc.Text())
		}
		evs = append(evs, e)
	}
	return evs
}

// waitAudit polls the audit log until match finds an event at stage
// ResponseComplete. The log backend writes synchronously by default, but
// polling costs nothing and tolerates a buffered mode.
func waitAudit(t *testing.T, path string, what string, match func(auditEvent) bool) auditEvent {
	t.Helper()
	var found *auditEvent
	_ = wait.PollUntilContextTimeout(testCtx(t), 100*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
		for _, e := range readAudit(t, path) {
			if e.Stage == "ResponseComplete" && e.ObjectRef != nil && match(e) {
				found = &e
				return true, nil
			}
		}
		return false, nil
	})
	if found == nil {
		t.Fatalf("no ResponseComplete audit event for %s in %s", what, path)
	}
	return *found
}

func hasBody(m json.RawMessage) bool {
	s := strings.TrimSpace(string(m))
	return s != "" && s != "null"
}

func clientcmdBuild(path string) (*rest.Config, error) {
	return clientcmd.BuildConfigFromFlags("", path)
}

// warningRecorder collects API warnings (the Warning header), which is how
// Pod Security's warn mode reaches a client.
type warningRecorder struct {
	mu    sync.Mutex
	texts []string
}

func (w *warningRecorder) HandleWarningHeader(_ int, _ string, text string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.texts = append(w.texts, text)
}

func (w *warningRecorder) contains(s string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, t := range w.texts {
		if strings.Contains(t, s) {
			return true
		}
	}
	return false
}

// secretInEtcd creates a Secret holding value and returns its raw etcd
// value, read with the etcd client under the apiserver's key layout
// (/registry/secrets/<ns>/<name>). It fails if the plaintext is visible.
func secretInEtcd(t *testing.T, srv *apiserver.Server, cs kubernetes.Interface, ns, name, value string) []byte {
	t.Helper()
	ctx := testCtx(t)
	sec := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name}, StringData: map[string]string{"value": value}}
	if _, err := cs.CoreV1().Secrets(ns).Create(ctx, sec, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	ec, err := clientv3.New(clientv3.Config{Endpoints: []string{srv.EtcdEndpoint()}, DialTimeout: 10 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	defer ec.Close()
	key := "/registry/secrets/" + ns + "/" + name
	resp, err := ec.Get(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Kvs) != 1 {
		t.Fatalf("etcd key %s: %d values, want 1", key, len(resp.Kvs))
	}
	raw := resp.Kvs[0].Value
	if bytes.Contains(raw, []byte(value)) {
		t.Errorf("etcd value of %s contains the plaintext", key)
	}
	// The API still returns the plaintext: the key decrypts.
	got, err := cs.CoreV1().Secrets(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil || string(got.Data["value"]) != value {
		t.Errorf("secret read back: %v, %q", err, got.Data["value"])
	}
	return raw
}

// waitUntilAllowed polls a SelfSubjectAccessReview as the given client until
// it may do verb on resource in ns. The "edit" ClusterRole is aggregated by
// kube-controller-manager after start, so a fresh binding to it grants
// nothing for the first moments; a loaded machine stretches that window.
func waitUntilAllowed(t *testing.T, cs kubernetes.Interface, ns, verb, group, res string) {
	t.Helper()
	review := &authorizationv1.SelfSubjectAccessReview{Spec: authorizationv1.SelfSubjectAccessReviewSpec{
		ResourceAttributes: &authorizationv1.ResourceAttributes{Namespace: ns, Verb: verb, Group: group, Resource: res},
	}}
	err := wait.PollUntilContextTimeout(testCtx(t), 100*time.Millisecond, 60*time.Second, true, func(ctx context.Context) (bool, error) {
		got, err := cs.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, review, metav1.CreateOptions{})
		if err != nil {
			return false, nil
		}
		return got.Status.Allowed, nil
	})
	if err != nil {
		t.Fatalf("never allowed to %s %s in %s: %v", verb, res, ns, err)
	}
}
