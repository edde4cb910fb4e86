package responderlab_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	"k3s-onprem/components/k3s"
	"k3s-onprem/components/responder"
	core "k3s-onprem/internal/responder"
	"k3s-onprem/tests/lab/labhost"
	"k3s-onprem/tests/lab/runner"
)

// TestLab_ResponderService: the program's responder step installs and
// starts the hardened service on a real systemd host; the service mints
// its bound token through the TokenRequest API (`k3s kubectl create token`:
// the real kubectl behind the lab's k3s stand-in), serves TLS with the
// bearer from stdin through the firewalld policy it installs, deletes an
// attacked pod on the real API server and refuses what it must; a second
// run changes nothing; the delete scripts of every step that ran put the
// host back as it was.
func TestLab_ResponderService(t *testing.T) {
	e := setup(t)
	reports := map[string][]string{
		serverName + "-" + responder.StepName: {"minted the responder's ServiceAccount token", "started " + responder.UnitName},
		// The air-gapped install checked the copy's sha256 and version.
		serverName + "-" + k3s.StepBinary: {"installed k3s " + k3sVersion(t)},
	}
	for _, r := range e.first {
		for _, want := range reports[r.Resource] {
			if !strings.Contains(r.Stderr, want) {
				t.Errorf("%s did not report %q:\n%s", r.Resource, want, r.Stderr)
			}
		}
	}

	t.Run("service", func(t *testing.T) {
		for _, u := range []string{responder.UnitName, responder.TokenTimerName} {
			if got := strings.TrimSpace(e.lab.MustRun(t, serverName, "systemctl is-active "+u)); got != "active" {
				t.Errorf("%s is %s", u, got)
			}
		}
		pid := strings.TrimSpace(e.lab.MustRun(t, serverName, "systemctl show -P MainPID "+responder.UnitName))
		if user := strings.TrimSpace(e.lab.MustRun(t, serverName, "ps -o user= -p "+pid)); user != responder.ServiceUser {
			t.Errorf("the responder runs as %q, want %s", user, responder.ServiceUser)
		}
		// The bearer reaches the service only as a credential file.
		for _, f := range []string{"/proc/" + pid + "/cmdline", "/proc/" + pid + "/environ"} {
			if out := e.lab.MustRun(t, serverName, "tr '\\0' '\\n' < "+f); strings.Contains(out, e.bearer) {
				t.Errorf("the bearer is in %s", f)
			}
		}
		if out := e.lab.MustRun(t, serverName, "grep -rl "+e.bearer+" /var/lib/k3s-onprem /etc/systemd /etc/k3s-onprem || true"); strings.TrimSpace(out) != responder.CredentialDir+"/secret" {
			t.Errorf("files holding the bearer: %q, want only %s/secret", out, responder.CredentialDir)
		}
		if got := strings.TrimSpace(e.lab.MustRun(t, serverName, "stat -c '%a %U' "+responder.CredentialDir+" "+responder.CredentialDir+"/secret")); got != "700 root\n600 root" {
			t.Errorf("credentials: %q, want 700 root / 600 root", got)
		}
		if got := strings.TrimSpace(e.lab.MustRun(t, serverName, "stat -c '%a %U:%G' "+responder.TokenPath)); got != "440 root:"+responder.ServiceUser {
			t.Errorf("%s is %s, want 440 root:%s", responder.TokenPath, got, responder.ServiceUser)
		}
		claims := tokenClaims(t, e.lab.MustRun(t, serverName, "cat "+responder.TokenPath))
		if claims.Sub != "system:serviceaccount:"+responder.DefaultNamespace+":"+responder.ServiceAccount {
			t.Errorf("token subject %q", claims.Sub)
		}
		if life := time.Duration(claims.Exp-claims.Iat) * time.Second; life != time.Hour {
			t.Errorf("token lifetime %s, want %s (TokenLifetime)", life, responder.TokenLifetime)
		}
	})

	t.Run("acts and refuses", func(t *testing.T) {
		ns := "lab-attacked"
		pods := createPods(t, e.admin, ns, "web", 1)
		code, out, err := e.post(event("Terminal shell in container", "Notice", ns, pods[0].name, string(pods[0].uid)), e.bearer)
		if err != nil || code != http.StatusOK || out["outcome"] != string(core.StatusActed) {
			t.Fatalf("attack event: %d %v %v", code, out, err)
		}
		if _, err := e.admin.CoreV1().Pods(ns).Get(context.Background(), pods[0].name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("the attacked pod is still there (%v)", err)
		}
		body := event("Terminal shell in container", "Notice", ns, "other", "")
		for name, bearer := range map[string]string{"no bearer": "", "wrong bearer": strings.ToUpper(e.bearer)} {
			if code, _, err := e.post(body, bearer); err != nil || code != http.StatusUnauthorized {
				t.Errorf("%s: %d %v, want 401", name, code, err)
			}
		}
		// Namespaces the program creates for itself are never acted on.
		for _, protected := range []string{responder.DefaultNamespace, "falco", "metallb-system"} {
			code, out, err := e.post(event("Terminal shell in container", "Notice", protected, "x", ""), e.bearer)
			if err != nil || code != http.StatusOK || out["outcome"] != string(core.StatusSkipped) || out["reason"] != core.ReasonProtectedNamespace {
				t.Errorf("event in %s: %d %v %v, want skipped/%s", protected, code, out, err, core.ReasonProtectedNamespace)
			}
		}
	})

	t.Run("second run changes nothing", func(t *testing.T) {
		second, err := runner.Apply(e.plan, e.lab, e.opts)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range second {
			if r.Changed {
				t.Errorf("%s changed something:\n%s", r.Resource, r.Stderr)
			}
		}
	})

	t.Run("delete restores the host", func(t *testing.T) {
		deleted, err := runner.Delete(e.plan, e.lab, e.opts)
		if err != nil {
			t.Fatal(err)
		}
		if len(deleted) != len(hostSteps) {
			t.Errorf("ran %d delete scripts, want %d", len(deleted), len(hostSteps))
		}
		if out, _, _ := e.lab.Run(serverName, "systemctl is-active "+responder.UnitName, nil); strings.TrimSpace(out) == "active" {
			t.Error("the responder still runs")
		}
		var unexpected []string
		for _, line := range labhost.SnapshotDiff(e.before, e.lab.Snapshot(t, serverName)) {
			if !keptOnDelete(line) {
				unexpected = append(unexpected, line)
			}
		}
		if len(unexpected) > 0 {
			t.Errorf("after the delete scripts the host differs from before the first run:\n%s", strings.Join(unexpected, "\n"))
		}
	})
}

// keptOnDelete: what the delete changes on purpose. k3s-binary's delete
// uninstalls k3s (no k3s unit is installed on this host, so to the step
// the node is leaving): it also removes k3s's own files under
// /etc/rancher/k3s, which here the lab's k3s stand-in placed before the
// first run (its admin kubeconfig), as "- <sum> <path>" lines.
func keptOnDelete(line string) bool {
	for _, p := range []string{" " + k3s.BinaryPath, " /var/lib/k3s-onprem/k3s/binary.sha256"} {
		if strings.HasPrefix(line, "+ ") && strings.HasSuffix(line, p) {
			return true
		}
	}
	return strings.HasPrefix(line, "- ") && strings.Contains(line, " /etc/rancher/k3s/")
}

type jwtClaims struct {
	Sub      string `json:"sub"`
	Iat, Exp int64
}

// tokenClaims decodes a JWT's payload (no verification: the API server
// accepted it, that is the check).
func tokenClaims(t *testing.T, jwt string) jwtClaims {
	t.Helper()
	parts := strings.Split(strings.TrimSpace(jwt), ".")
	if len(parts) != 3 {
		t.Fatalf("the token is not a JWT (%d parts)", len(parts))
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c jwtClaims
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

type podRef struct {
	name string
	uid  types.UID
}

// createPods creates namespace ns (with its default ServiceAccount: no
// controller-manager runs here) and n pods that never run (no kubelet).
func createPods(t testing.TB, cs kubernetes.Interface, ns, prefix string, n int) []podRef {
	t.Helper()
	ctx := context.Background()
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	if _, err := cs.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	out := make([]podRef, n)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	sem := make(chan struct{}, 32)
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			no := false
			p, err := cs.CoreV1().Pods(ns).Create(ctx, &corev1.Pod{
				ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("%s-%d", prefix, i)},
				Spec: corev1.PodSpec{
					AutomountServiceAccountToken: &no,
					Containers:                   []corev1.Container{{Name: "app", Image: "registry.invalid/app:1"}},
				},
			}, metav1.CreateOptions{})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if firstErr == nil {
					firstErr = err
				}
				return
			}
			out[i] = podRef{name: p.Name, uid: p.UID}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		t.Fatal(firstErr)
	}
	return out
}
