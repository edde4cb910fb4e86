package responderlab_test

import (
	"context"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	authv1 "k8s.io/api/authentication/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"k3s-onprem/components/responder"
	core "k3s-onprem/internal/responder"
	"k3s-onprem/tests/responderload"
)

// BenchmarkLab_ResponderDeployed offers events at 50/s and 500/s (open
// loop: one goroutine per event on a ticker) to the responder as the
// program deploys it: the systemd service on a lab host, installed by its
// own step, TLS with the step's certificate, the bearer from stdin, the
// default configuration and limits, its bound token, in front of a real
// kube-apiserver + etcd on the same host (etcd with fsync; the host is a
// systemd-nspawn container on the same 2 cores as the sender). Each event
// names a different pod with its k8s.pod.uid; it is answered after the
// delete returned (grace 0, no kubelet). In the same run the same number
// of pods is deleted by a bare DELETE from the sender's side (the
// responder's ServiceAccount token and client limits, UID precondition,
// grace 0) at the same rate; the ratio of the p99s is reported.
//
//	go test -run '^$' -bench ResponderDeployed -benchtime 1x ./tests/lab/responderlab/
func BenchmarkLab_ResponderDeployed(b *testing.B) {
	e := setup(b)
	bare := bareClient(b, e)
	// Neither side pays for its first connection and authentication in
	// the figures: one untimed call each.
	if _, err := bare.CoreV1().Pods("default").Get(context.Background(), "warm-up", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		b.Fatalf("warm-up GET: %v", err)
	}
	if code, _, err := e.post(event("Terminal shell in container", "Notice", "default", "warm-up", ""), e.bearer); err != nil || code != http.StatusOK {
		b.Fatalf("warm-up event: %d %v", code, err)
	}
	for _, rate := range []int{50, 500} {
		b.Run(fmt.Sprintf("events_per_s=%d", rate), func(b *testing.B) {
			n := min(rate*4, 1000)
			var viaResponder, viaDelete []time.Duration
			for b.Loop() {
				// Unique per round and per -count: the responder's dedup
				// remembers namespace/pod for dedupTTL.
				ns := fmt.Sprintf("bench-%d-%d", rate, rounds.Add(1))
				direct := createPods(b, e.admin, ns, "direct", n)
				viaDelete = append(viaDelete, responderload.Offer(b, rate, n, func(i int) error {
					uid := direct[i].uid
					grace := int64(0)
					return bare.CoreV1().Pods(ns).Delete(context.Background(), direct[i].name, metav1.DeleteOptions{
						GracePeriodSeconds: &grace, Preconditions: &metav1.Preconditions{UID: &uid},
					})
				})...)
				attacked := createPods(b, e.admin, ns, "attacked", n)
				viaResponder = append(viaResponder, responderload.Offer(b, rate, n, func(i int) error {
					code, out, err := e.post(event("Terminal shell in container", "Notice", ns, attacked[i].name, string(attacked[i].uid)), e.bearer)
					if err != nil {
						return err
					}
					if code != http.StatusOK || out["outcome"] != string(core.StatusActed) {
						return fmt.Errorf("responder answered %d %v", code, out)
					}
					return nil
				})...)
				l, err := e.admin.CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{})
				if err != nil {
					b.Fatal(err)
				}
				if len(l.Items) != 0 {
					b.Fatalf("%d pods survived", len(l.Items))
				}
			}
			r50, r99 := responderload.Quantiles(viaResponder)
			d50, d99 := responderload.Quantiles(viaDelete)
			b.ReportMetric(responderload.Ms(r50), "p50_ms")
			b.ReportMetric(responderload.Ms(r99), "p99_ms")
			b.ReportMetric(responderload.Ms(d50), "bare_delete_p50_ms")
			b.ReportMetric(responderload.Ms(d99), "bare_delete_p99_ms")
			b.ReportMetric(float64(r99)/float64(d99), "p99_ratio")
			b.Logf("%d events/s, %d events: deployed responder p50 %s p99 %s; bare DELETE p50 %s p99 %s; p99 ratio %.2f",
				rate, len(viaResponder), r50, r99, d50, d99, float64(r99)/float64(d99))
		})
	}
}

// rounds numbers the benchmark's namespaces.
var rounds atomic.Int64

// bareClient is the comparison: the responder's own identity (a token for
// its ServiceAccount) and client limits, from the sender's side.
func bareClient(b *testing.B, e *env) kubernetes.Interface {
	b.Helper()
	tok, err := e.admin.CoreV1().ServiceAccounts(responder.DefaultNamespace).CreateToken(context.Background(), responder.ServiceAccount,
		&authv1.TokenRequest{Spec: authv1.TokenRequestSpec{}}, metav1.CreateOptions{})
	if err != nil {
		b.Fatal(err)
	}
	rc := &rest.Config{Host: e.rest.Host, TLSClientConfig: rest.TLSClientConfig{CAData: e.rest.CAData}, BearerToken: tok.Status.Token}
	rc.QPS, rc.Burst = core.ClientRateLimits(core.DefaultConfig())
	return kubernetes.NewForConfigOrDie(rc)
}
