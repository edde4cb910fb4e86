package responder

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// DeletePodAction is the configuration name of the delete-pod action.
const DeletePodAction = "delete-pod"

// Reasons the delete-pod action reports.
const (
	ReasonPodDeleted = "pod_deleted"
	ReasonPodGone    = "pod_gone"
	// ReasonPodReplaced: a pod of that name exists but is not the one the
	// event is about (another UID, or created after the event).
	ReasonPodReplaced = "pod_replaced"
	ReasonAPIError    = "api_error"
)

// deletePod deletes the attacked pod and records a Kubernetes Event on its
// owner. Its controller (ReplicaSet, StatefulSet, ...) starts a clean
// replacement from the image; whatever the attacker changed in the
// container is gone.
type deletePod struct {
	deps  ActionDeps
	grace int64
}

func newDeletePod(r *Response, d ActionDeps) (Action, error) {
	a := &deletePod{deps: d}
	if r.GracePeriodSeconds != nil {
		a.grace = *r.GracePeriodSeconds
	}
	return a, nil
}

func (a *deletePod) Name() string { return DeletePodAction }

// Permissions: pods get (labels for the allow-list, the UID when the event
// carries none) and delete; events create. The owner is read from the
// pod's ownerReferences, so no get on ReplicaSets or Deployments is
// needed. No list or watch: the responder never enumerates.
func (a *deletePod) Permissions() []rbacv1.PolicyRule {
	return []rbacv1.PolicyRule{
		{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"get", "delete"}},
		{APIGroups: []string{""}, Resources: []string{"events"}, Verbs: []string{"create"}},
	}
}

// Run deletes exactly the pod the event is about. With the event's pod
// UID and no label allow-list that is one API call: a DELETE with the UID
// as precondition, whose answer is the deleted pod (owner for the Event).
// Otherwise the pod is read first: its labels decide the allow-list, and
// without an event UID the pod read must have existed when the event
// happened (created no later than Seen + ClockSkew); its UID then becomes
// the precondition. The Kubernetes Event is recorded off the hot path.
func (a *deletePod) Run(ctx context.Context, t Target) Outcome {
	pods := a.deps.Client.CoreV1().Pods(t.Pod.Namespace)
	uid := types.UID(t.UID)
	var pod *corev1.Pod
	if uid == "" || a.deps.ReadsLabels {
		got, err := pods.Get(ctx, t.Pod.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return Outcome{Status: StatusSkipped, Reason: ReasonPodGone, Detail: "pod no longer exists"}
		}
		if err != nil {
			return Outcome{Status: StatusFailed, Reason: ReasonAPIError, Detail: fmt.Sprintf("get pod %s: %v", t.Pod, err)}
		}
		pod = got
		if uid != "" && pod.UID != uid {
			return Outcome{Status: StatusSkipped, Reason: ReasonPodReplaced, Detail: "the pod of that name has another UID than the event's", UID: string(pod.UID)}
		}
		if r := a.deps.Allowed(pod.Labels); r != "" {
			return Outcome{Status: StatusSkipped, Reason: r, Detail: "pod carries an allow-listed label", UID: string(pod.UID)}
		}
		if uid == "" {
			if created := pod.CreationTimestamp.Time; created.After(t.Seen.Add(a.deps.ClockSkew)) {
				return Outcome{Status: StatusSkipped, Reason: ReasonPodReplaced, Detail: fmt.Sprintf("pod created %s, after the event (%s)", created.UTC().Format("15:04:05.000"), t.Seen.UTC().Format("15:04:05.000")), UID: string(pod.UID)}
			}
			uid = pod.UID
		}
	}
	grace := a.grace
	deleted, err := deletePodReturning(ctx, a.deps.Client, t.Pod, metav1.DeleteOptions{
		GracePeriodSeconds: &grace,
		Preconditions:      &metav1.Preconditions{UID: &uid},
	})
	switch {
	case apierrors.IsNotFound(err):
		return Outcome{Status: StatusSkipped, Reason: ReasonPodGone, Detail: "pod no longer exists", UID: string(uid)}
	case apierrors.IsConflict(err):
		return Outcome{Status: StatusSkipped, Reason: ReasonPodReplaced, Detail: "the pod of that name has another UID (replaced since)", UID: string(uid)}
	case err != nil:
		return Outcome{Status: StatusFailed, Reason: ReasonAPIError, Detail: fmt.Sprintf("delete pod %s: %v", t.Pod, err), UID: string(uid)}
	}
	if pod == nil {
		pod = deleted
	}
	if pod == nil { // the API answered with a Status, not the pod
		pod = &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: t.Pod.Name, Namespace: t.Pod.Namespace, UID: uid}}
	}
	owner := ownerOf(pod)
	msg := fmt.Sprintf("Deleted pod %s (grace %ds): Falco rule %q (%s)", t.Pod, grace, t.Event.Rule, t.Event.Priority)
	if t.Event.Hostname != "" {
		msg += " on " + t.Event.Hostname
	}
	a.deps.Record(owner, "FalcoResponsePodDeleted", msg)
	return Outcome{Status: StatusActed, Reason: ReasonPodDeleted, UID: string(uid), Owner: owner.Kind + "/" + owner.Name}
}

// deletePodReturning is the typed client's pod DELETE, but it keeps the
// answer: the API server returns the deleted pod, whose ownerReferences
// name the Event's object without a GET. client-go's fake clientset has
// no REST client; there the typed Delete runs and no pod comes back.
func deletePodReturning(ctx context.Context, cs kubernetes.Interface, p PodRef, opts metav1.DeleteOptions) (*corev1.Pod, error) {
	rc, ok := cs.CoreV1().RESTClient().(*rest.RESTClient)
	if !ok || rc == nil {
		return nil, cs.CoreV1().Pods(p.Namespace).Delete(ctx, p.Name, opts)
	}
	obj, err := rc.Delete().Namespace(p.Namespace).Resource("pods").Name(p.Name).Body(&opts).Do(ctx).Get()
	if err != nil {
		return nil, err
	}
	pod, _ := obj.(*corev1.Pod)
	return pod, nil
}

// ownerOf is the pod's controller (ReplicaSet for a Deployment's pod, the
// StatefulSet, DaemonSet or Job) from its ownerReferences, or the pod
// itself when it has none. A ReplicaSet is not resolved to its Deployment:
// that would need get on replicasets, and `kubectl describe deployment`
// lists the ReplicaSet's events next to it anyway.
func ownerOf(pod *corev1.Pod) corev1.ObjectReference {
	if c := metav1.GetControllerOf(pod); c != nil {
		return corev1.ObjectReference{APIVersion: c.APIVersion, Kind: c.Kind, Name: c.Name, UID: c.UID, Namespace: pod.Namespace}
	}
	return corev1.ObjectReference{APIVersion: "v1", Kind: "Pod", Name: pod.Name, UID: pod.UID, Namespace: pod.Namespace, ResourceVersion: pod.ResourceVersion}
}
