package responder

import (
	"errors"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
)

// PodRef names the pod an event is about.
type PodRef struct {
	Namespace string
	Name      string
}

func (p PodRef) String() string { return p.Namespace + "/" + p.Name }

// ErrNoPod means the event is not about a pod: a host process (Falco sets
// no k8s fields), or an audit event on another resource.
var ErrNoPod = errors.New("event names no pod")

// Pod finds the pod an event is about. Falco emits two shapes:
//
//   - syscall rules name the container's pod in k8s.ns.name/k8s.pod.name
//     (k8smeta.ns.name/k8smeta.pod.name with the k8smeta plugin of Falco
//     >= 0.37);
//   - k8s_audit rules name the request's target in ka.target.namespace and
//     ka.target.name, with ka.target.resource = pods. Rules about pod
//     creation ("Create HostNetwork Pod") print the name from the response,
//     ka.resp.name, because a create request has no name in its URL. The
//     original responder read only ka.target.name and so never acted on
//     that rule.
//
// Names are checked against Kubernetes' own syntax: they go into API paths
// and Event messages, and a forged "../" or 10 kB name is rejected here.
func (e *Event) Pod() (PodRef, error) {
	var ref PodRef
	if e.Source == SourceK8sAudit || (e.Field("k8s.pod.name") == "" && e.Field("k8smeta.pod.name") == "" && e.Field("ka.target.namespace") != "") {
		if res := e.Field("ka.target.resource"); res != "" && res != "pods" {
			return PodRef{}, fmt.Errorf("%w: audit event targets %q, not pods", ErrNoPod, res)
		}
		ref = PodRef{Namespace: e.Field("ka.target.namespace"), Name: e.firstField("ka.target.name", "ka.resp.name")}
	} else {
		ref = PodRef{
			Namespace: e.firstField("k8s.ns.name", "k8smeta.ns.name"),
			Name:      e.firstField("k8s.pod.name", "k8smeta.pod.name"),
		}
	}
	switch {
	case ref.Namespace == "" && ref.Name == "":
		return PodRef{}, ErrNoPod
	case ref.Name == "":
		return PodRef{}, fmt.Errorf("%w: namespace %q but no pod name", ErrNoPod, ref.Namespace)
	case ref.Namespace == "":
		return PodRef{}, fmt.Errorf("%w: pod %q but no namespace", ErrNoPod, ref.Name)
	}
	if errs := validation.IsDNS1123Label(ref.Namespace); len(errs) > 0 {
		return PodRef{}, fmt.Errorf("%w: namespace %q: %s", ErrMalformed, clip(ref.Namespace, 64), strings.Join(errs, "; "))
	}
	if errs := validation.IsDNS1123Subdomain(ref.Name); len(errs) > 0 {
		return PodRef{}, fmt.Errorf("%w: pod name %q: %s", ErrMalformed, clip(ref.Name, 64), strings.Join(errs, "; "))
	}
	return ref, nil
}

// clip shortens attacker-sized strings before they reach a log line.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// PodUID is the attacked pod's UID when the event carries it (Falco's
// k8s.pod.uid, or k8smeta.pod.uid with the k8smeta plugin), else "". A
// value that cannot be a UID (longer than 64 bytes, or other than letters,
// digits and "-") reads as absent: the pod is then read and checked
// against the event's time instead.
func (e *Event) PodUID() string {
	u := e.firstField("k8s.pod.uid", "k8smeta.pod.uid")
	if len(u) > 64 || strings.ContainsFunc(u, func(r rune) bool {
		return !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '-')
	}) {
		return ""
	}
	return u
}
