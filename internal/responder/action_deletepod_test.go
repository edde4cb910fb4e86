package responder

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

// runDelete runs the action and waits for its Kubernetes Event to be
// written (or to fail: eventErrs).
func runDelete(t *testing.T, cs *fake.Clientset, allowed func(map[string]string) string, pod PodRef) Outcome {
	out, _ := runDeleteEvents(t, cs, allowed, pod)
	return out
}

func runDeleteEvents(t *testing.T, cs *fake.Clientset, allowed func(map[string]string) string, pod PodRef) (Outcome, []error) {
	t.Helper()
	grace := int64(0)
	r := &Response{Name: "test", Action: DeletePodAction, GracePeriodSeconds: &grace}
	clk := newClock()
	deps := ActionDeps{Client: cs, Allowed: allowed, ReadsLabels: allowed != nil, Instance: "server-1", Now: clk.now}
	var errs []error
	var mu sync.Mutex
	rec := newRecorder(deps, func() { t.Error("event dropped") }, func(err error) {
		mu.Lock()
		defer mu.Unlock()
		errs = append(errs, err)
	})
	deps.Record = rec.record
	a, err := NewAction(r, deps)
	if err != nil {
		t.Fatal(err)
	}
	ev := &Event{Rule: "Terminal shell in container", Priority: PriorityNotice, Hostname: "worker01"}
	out := a.Run(context.Background(), Target{Pod: pod, Seen: clk.now(), Event: ev, Response: r})
	rec.stop()
	return out, errs
}

func TestDeletePod_GraceZeroUIDPreconditionEventOnOwner(t *testing.T) {
	cs := fake.NewClientset(rsPod("shop", "php-1", nil))
	out := runDelete(t, cs, nil, PodRef{"shop", "php-1"})
	if out.Status != StatusActed || out.Reason != ReasonPodDeleted || out.Owner != "ReplicaSet/php-66f85644d" {
		t.Fatalf("outcome %+v", out)
	}
	d := deletes(cs)
	if len(d) != 1 {
		t.Fatalf("%d deletes", len(d))
	}
	opts := d[0].GetDeleteOptions()
	if opts.GracePeriodSeconds == nil || *opts.GracePeriodSeconds != 0 {
		t.Errorf("grace period %v, want 0", opts.GracePeriodSeconds)
	}
	if opts.Preconditions == nil || opts.Preconditions.UID == nil || *opts.Preconditions.UID != "uid-php-1" {
		t.Errorf("delete without the read pod's UID precondition: %+v", opts.Preconditions)
	}
	if _, err := cs.CoreV1().Pods("shop").Get(context.Background(), "php-1", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("pod still there: %v", err)
	}
	evs := events(t, cs, "shop")
	if len(evs) != 1 {
		t.Fatalf("%d events", len(evs))
	}
	e := evs[0]
	if e.InvolvedObject.Kind != "ReplicaSet" || e.InvolvedObject.Name != "php-66f85644d" || e.InvolvedObject.UID != "uid-rs" {
		t.Errorf("event on %+v, want the ReplicaSet", e.InvolvedObject)
	}
	if e.Type != corev1.EventTypeWarning || e.Reason != "FalcoResponsePodDeleted" || !strings.Contains(e.Message, `"Terminal shell in container"`) || !strings.Contains(e.Message, "shop/php-1") {
		t.Errorf("event %+v", e)
	}
}

func TestDeletePod_StandalonePodEventOnPod(t *testing.T) {
	cs := fake.NewClientset(barePod("default", "hostname-sudo"))
	out := runDelete(t, cs, nil, PodRef{"default", "hostname-sudo"})
	if out.Status != StatusActed || out.Owner != "Pod/hostname-sudo" {
		t.Fatalf("outcome %+v", out)
	}
	evs := events(t, cs, "default")
	if len(evs) != 1 || evs[0].InvolvedObject.Kind != "Pod" || evs[0].InvolvedObject.Name != "hostname-sudo" {
		t.Fatalf("events %+v", evs)
	}
}

func TestDeletePod_GoneIsSkipped(t *testing.T) {
	cs := fake.NewClientset()
	out := runDelete(t, cs, nil, PodRef{"shop", "php-1"})
	if out.Status != StatusSkipped || out.Reason != ReasonPodGone {
		t.Fatalf("outcome %+v", out)
	}
	if len(deletes(cs)) != 0 {
		t.Fatal("deleted a pod that does not exist")
	}
}

func TestDeletePod_AllowListedLabelIsSkipped(t *testing.T) {
	cs := fake.NewClientset(rsPod("shop", "php-1", map[string]string{"tier": "debug"}))
	g := newGuard(&Config{Allow: Allow{PodLabels: []string{"tier=debug"}}})
	out := runDelete(t, cs, g.podLabels, PodRef{"shop", "php-1"})
	if out.Status != StatusSkipped || out.Reason != ReasonAllowedLabel {
		t.Fatalf("outcome %+v", out)
	}
	if len(deletes(cs)) != 0 {
		t.Fatal("deleted an allow-listed pod")
	}
}

func TestDeletePod_APIErrorIsFailure(t *testing.T) {
	cs := fake.NewClientset(rsPod("shop", "php-1", nil))
	cs.PrependReactor("delete", "pods", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, errors.New("etcdserver: request timed out")
	})
	out := runDelete(t, cs, nil, PodRef{"shop", "php-1"})
	if out.Status != StatusFailed || out.Reason != ReasonAPIError || !strings.Contains(out.Detail, "timed out") {
		t.Fatalf("outcome %+v", out)
	}
	if len(events(t, cs, "shop")) != 0 {
		t.Fatal("an event claims a deletion that failed")
	}
}

func TestDeletePod_EventFailureStillActed(t *testing.T) {
	cs := fake.NewClientset(rsPod("shop", "php-1", nil))
	cs.PrependReactor("create", "events", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(corev1.Resource("events"), "", errors.New("no"))
	})
	out, errs := runDeleteEvents(t, cs, nil, PodRef{"shop", "php-1"})
	if out.Status != StatusActed || len(errs) != 1 || !apierrors.IsForbidden(errs[0]) {
		t.Fatalf("outcome %+v, event errors %v", out, errs)
	}
}
