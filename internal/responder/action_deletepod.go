package responder

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// DeletePodAction is the configuration name of the delete-pod action.
const DeletePodAction = "delete-pod"

// Reasons the delete-pod action reports.
const (
	ReasonPodDeleted = "pod_deleted"
	ReasonPodGone    = "pod_gone"
	ReasonAPIError   = "api_error"
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

// Permissions: pods get (labels for the allow-list, the UID for a safe
// delete, ownerReferences for the Event) and delete; events create. The
// owner is read from the pod's ownerReferences, so no get on ReplicaSets or
// Deployments is needed. No list or watch: the responder never enumerates.
func (a *deletePod) Permissions() []rbacv1.PolicyRule {
	return []rbacv1.PolicyRule{
		{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"get", "delete"}},
		{APIGroups: []string{""}, Resources: []string{"events"}, Verbs: []string{"create"}},
	}
}

func (a *deletePod) Run(ctx context.Context, t Target) Outcome {
	pods := a.deps.Client.CoreV1().Pods(t.Pod.Namespace)
	pod, err := pods.Get(ctx, t.Pod.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return Outcome{Status: StatusSkipped, Reason: ReasonPodGone, Detail: "pod no longer exists"}
	}
	if err != nil {
		return Outcome{Status: StatusFailed, Reason: ReasonAPIError, Detail: fmt.Sprintf("get pod %s: %v", t.Pod, err)}
	}
	if r := a.deps.Allowed(pod.Labels); r != "" {
		return Outcome{Status: StatusSkipped, Reason: r, Detail: "pod carries an allow-listed label", UID: string(pod.UID)}
	}
	// The UID precondition makes the delete hit exactly the pod that was
	// read: a StatefulSet replacement with the same name, created since,
	// is not the attacked pod and is left alone.
	uid := pod.UID
	grace := a.grace
	err = pods.Delete(ctx, t.Pod.Name, metav1.DeleteOptions{
		GracePeriodSeconds: &grace,
		Preconditions:      &metav1.Preconditions{UID: &uid},
	})
	if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
		return Outcome{Status: StatusSkipped, Reason: ReasonPodGone, Detail: "pod deleted or replaced meanwhile", UID: string(uid)}
	}
	if err != nil {
		return Outcome{Status: StatusFailed, Reason: ReasonAPIError, Detail: fmt.Sprintf("delete pod %s: %v", t.Pod, err), UID: string(uid)}
	}
	out := Outcome{Status: StatusActed, Reason: ReasonPodDeleted, UID: string(uid)}
	owner := ownerOf(pod)
	out.Owner = owner.Kind + "/" + owner.Name
	msg := fmt.Sprintf("Deleted pod %s (grace %ds): Falco rule %q (%s)", t.Pod, grace, t.Event.Rule, t.Event.Priority)
	if t.Event.Hostname != "" {
		msg += " on " + t.Event.Hostname
	}
	if err := recordEvent(ctx, a.deps, owner, "FalcoResponsePodDeleted", msg); err != nil {
		// The pod is gone either way; a missing Event is logged, not fatal.
		out.Detail = "event not recorded: " + err.Error()
		a.deps.Logger.Warn("kubernetes event not recorded", "pod", t.Pod.String(), "owner", out.Owner, "error", err)
	}
	return out
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
