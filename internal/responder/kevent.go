package responder

import (
	"context"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// eventSource names the responder in the Events it records.
const eventSource = "k3s-onprem-responder"

// maxEventMessage is the events.k8s.io limit, applied to core Events too so
// `kubectl describe` stays readable whatever the rule output was.
const maxEventMessage = 1024

// Event recorder bounds: the queue absorbs a burst of deletes (the default
// action burst); two writers keep up with the action rate.
const (
	eventQueueLen  = 1024
	eventWriters   = 2
	eventTimeout   = 10 * time.Second
	eventReasonMax = 128
)

// recorder writes core/v1 Events off the hot path: the delete is what stops
// the attacker, the Event is the record of it. A full queue drops the
// Event (counted, logged at a bounded rate) rather than slow down deletes.
// Only "events create" is needed: no broadcaster, no patch of old Events.
type recorder struct {
	deps    ActionDeps
	queue   chan pendingEvent
	dropped func()
	failed  func(error)
	wg      sync.WaitGroup
	mu      sync.RWMutex // closed and the queue's closing
	closed  bool
}

type pendingEvent struct {
	obj             corev1.ObjectReference
	reason, message string
	at              time.Time
}

func newRecorder(d ActionDeps, dropped func(), failed func(error)) *recorder {
	r := &recorder{deps: d, queue: make(chan pendingEvent, eventQueueLen), dropped: dropped, failed: failed}
	for range eventWriters {
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			for e := range r.queue {
				ctx, cancel := context.WithTimeout(context.Background(), eventTimeout)
				if err := r.write(ctx, e); err != nil {
					r.failed(err)
				}
				cancel()
			}
		}()
	}
	return r
}

// record queues an Event; it never blocks. After stop it drops.
func (r *recorder) record(obj corev1.ObjectReference, reason, message string) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.closed {
		r.dropped()
		return
	}
	select {
	case r.queue <- pendingEvent{obj: obj, reason: reason, message: message, at: r.deps.Now()}:
	default:
		r.dropped()
	}
}

// stop writes what is queued and returns.
func (r *recorder) stop() {
	r.mu.Lock()
	if !r.closed {
		r.closed = true
		close(r.queue)
	}
	r.mu.Unlock()
	r.wg.Wait()
}

func (r *recorder) write(ctx context.Context, e pendingEvent) error {
	now := metav1.NewTime(e.at)
	ev := &corev1.Event{
		ObjectMeta: metav1.ObjectMeta{
			Name:      fmt.Sprintf("%s.%x", e.obj.Name, now.UnixNano()),
			Namespace: e.obj.Namespace,
		},
		InvolvedObject:      e.obj,
		Reason:              clip(e.reason, eventReasonMax),
		Message:             clip(e.message, maxEventMessage-3),
		Type:                corev1.EventTypeWarning,
		Source:              corev1.EventSource{Component: eventSource, Host: r.deps.Instance},
		FirstTimestamp:      now,
		LastTimestamp:       now,
		Count:               1,
		ReportingController: "k3s-onprem.io/responder",
		ReportingInstance:   r.deps.Instance,
		Action:              "Delete",
	}
	if ev.ReportingInstance == "" {
		ev.ReportingInstance = eventSource
	}
	_, err := r.deps.Client.CoreV1().Events(e.obj.Namespace).Create(ctx, ev, metav1.CreateOptions{})
	return err
}
