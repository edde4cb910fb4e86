package responder

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// eventSource names the responder in the Events it records.
const eventSource = "k3s-onprem-responder"

// maxEventMessage is the events.k8s.io limit, applied to core Events too so
// `kubectl describe` stays readable whatever the rule output was.
const maxEventMessage = 1024

// recordEvent writes one core/v1 Event about obj. It is written directly
// (no broadcaster): one create per action, nothing buffered that a restart
// could lose, and only "events create" is needed.
func recordEvent(ctx context.Context, d ActionDeps, obj corev1.ObjectReference, reason, message string) error {
	now := metav1.NewTime(d.Now())
	ev := &corev1.Event{
		ObjectMeta: metav1.ObjectMeta{
			Name:      fmt.Sprintf("%s.%x", obj.Name, now.UnixNano()),
			Namespace: obj.Namespace,
		},
		InvolvedObject:      obj,
		Reason:              reason,
		Message:             clip(message, maxEventMessage-3),
		Type:                corev1.EventTypeWarning,
		Source:              corev1.EventSource{Component: eventSource, Host: d.Instance},
		FirstTimestamp:      now,
		LastTimestamp:       now,
		Count:               1,
		ReportingController: "k3s-onprem.io/responder",
		ReportingInstance:   d.Instance,
		Action:              "Delete",
	}
	if ev.ReportingInstance == "" {
		ev.ReportingInstance = eventSource
	}
	_, err := d.Client.CoreV1().Events(obj.Namespace).Create(ctx, ev, metav1.CreateOptions{})
	return err
}
