package realapi_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"k3s-onprem/internal/responder"
	"k3s-onprem/tests/realapi/apiserver"
	"k3s-onprem/tests/responderload"
)

// BenchmarkResponderRealAPI offers events at a fixed rate (50/s and 500/s,
// open loop: one goroutine per event on a ticker, so a slow answer does
// not slow the sender) to the responder as deployed: TLS, bearer secret,
// the connection limiter, the default configuration (action bucket, queue,
// dedup), its generated RBAC and a bound token, against the real
// kube-apiserver and etcd. Each event names a different pod and carries
// its k8s.pod.uid, as Falco does with that output field; it is answered
// after the delete returned, i.e. the pod is gone (grace 0, no kubelet).
// In the same run, the same number of pods is deleted by a bare DELETE
// (the responder's client configuration and token, UID precondition,
// grace 0) at the same rate, and the ratio of the p99s is reported.
//
//	go test -run '^$' -bench ResponderRealAPI -benchtime 1x ./tests/realapi/
func BenchmarkResponderRealAPI(b *testing.B) {
	srv := apiserver.Start(b, apiserver.Options{WithControllerManager: true})
	env := startResponder(b, srv, nil)
	bare := kubernetes.NewForConfigOrDie(env.rest)
	for _, rate := range []int{50, 500} {
		b.Run(fmt.Sprintf("events_per_s=%d", rate), func(b *testing.B) {
			n := rate * 4 // 4 s of load per side
			if n > 1000 {
				n = 1000 // 2 s at 500/s
			}
			var viaResponder, viaDelete []time.Duration
			round := 0
			for b.Loop() {
				round++
				ns := fmt.Sprintf("bench-%d-%d", rate, round)
				createNamespace(b, env.admin, ns, nil)
				uids := createPodsWithUIDs(b, env.admin, ns, "direct", n)
				viaDelete = append(viaDelete, responderload.Offer(b, rate, n, func(i int) error {
					uid := uids[i].uid
					return bare.CoreV1().Pods(ns).Delete(context.Background(), uids[i].name, metav1.DeleteOptions{
						GracePeriodSeconds: ptr.To(int64(0)), Preconditions: &metav1.Preconditions{UID: &uid},
					})
				})...)
				uids = createPodsWithUIDs(b, env.admin, ns, "attacked", n)
				viaResponder = append(viaResponder, responderload.Offer(b, rate, n, func(i int) error {
					code, body, err := env.tryPost(eventUID("Terminal shell in container", "Notice", ns, uids[i].name, string(uids[i].uid)))
					if err != nil {
						return err
					}
					if code != http.StatusOK || body["outcome"] != string(responder.StatusActed) {
						return fmt.Errorf("responder answered %d %v", code, body)
					}
					return nil
				})...)
				if left := podUIDsTB(b, env.admin, ns); left != 0 {
					b.Fatalf("%d pods survived", left)
				}
			}
			r50, r99 := responderload.Quantiles(viaResponder)
			d50, d99 := responderload.Quantiles(viaDelete)
			b.ReportMetric(responderload.Ms(r50), "p50_ms")
			b.ReportMetric(responderload.Ms(r99), "p99_ms")
			b.ReportMetric(responderload.Ms(d50), "bare_delete_p50_ms")
			b.ReportMetric(responderload.Ms(d99), "bare_delete_p99_ms")
			b.ReportMetric(float64(r99)/float64(d99), "p99_ratio")
			b.Logf("%d events/s, %d events: responder p50 %s p99 %s; bare DELETE p50 %s p99 %s; p99 ratio %.2f",
				rate, len(viaResponder), r50, r99, d50, d99, float64(r99)/float64(d99))
		})
	}
}

type podUID struct {
	name string
	uid  types.UID
}

func createPodsWithUIDs(b *testing.B, cs kubernetes.Interface, ns, prefix string, n int) []podUID {
	b.Helper()
	names := createPods(b, cs, ns, prefix, n)
	l, err := cs.CoreV1().Pods(ns).List(testCtx(b), metav1.ListOptions{})
	if err != nil {
		b.Fatal(err)
	}
	byName := map[string]types.UID{}
	for _, p := range l.Items {
		byName[p.Name] = p.UID
	}
	out := make([]podUID, n)
	for i, name := range names {
		out[i] = podUID{name: name, uid: byName[name]}
	}
	return out
}

func podUIDsTB(b *testing.B, cs kubernetes.Interface, ns string) int {
	l, err := cs.CoreV1().Pods(ns).List(testCtx(b), metav1.ListOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		b.Fatal(err)
	}
	return len(l.Items)
}
