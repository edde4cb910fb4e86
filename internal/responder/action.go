package responder

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/client-go/kubernetes"
)

// Action is one kind of response. Each declares the RBAC rules it needs so
// the deployment grants exactly those (components/responder builds its
// ClusterRole from Permissions), and runs with an injected client so it is
// tested against client-go's fake clientset.
type Action interface {
	// Name is the action kind, as written in the configuration.
	Name() string
	// Permissions are the RBAC rules Run needs, no more.
	Permissions() []rbacv1.PolicyRule
	// Run acts on the target and reports what happened. It never panics
	// on event content and reports API failures as StatusFailed.
	Run(ctx context.Context, t Target) Outcome
}

// Target is what an action acts on, with the event that named it.
type Target struct {
	Pod PodRef
	// UID is the pod's UID from the event (k8s.pod.uid), or "".
	UID string
	// Seen is when the event happened: its time, or when it was received
	// when it carries none.
	Seen  time.Time
	Event *Event
	// Response is the configuration entry that matched.
	Response *Response
}

// Status is the result class of an action.
type Status string

// Statuses. Skipped is a deliberate non-action (protected, exempt, gone,
// duplicate); Failed is an error talking to the API.
const (
	StatusActed   Status = "acted"
	StatusSkipped Status = "skipped"
	StatusFailed  Status = "failed"
)

// Outcome is the result of handling one event.
type Outcome struct {
	Status Status `json:"outcome"`
	// Reason is a short machine-readable word (pod_deleted, duplicate,
	// protected_namespace, ...).
	Reason string `json:"reason"`
	// Detail is a human-readable sentence for logs.
	Detail string `json:"detail,omitempty"`
	// Owner is the object the Kubernetes Event was recorded on (Kind/name).
	Owner string `json:"owner,omitempty"`
	// UID of the pod acted on, when known.
	UID string `json:"uid,omitempty"`
}

// ActionDeps are what actions are built with.
type ActionDeps struct {
	Client kubernetes.Interface
	Logger *slog.Logger
	// Allowed decides label-based exemptions once the pod is read.
	Allowed func(labels map[string]string) string
	// ReadsLabels is true when Allowed can exempt a pod (a label
	// allow-list is configured), so the pod must be read before acting.
	ReadsLabels bool
	// ClockSkew: see Config.ClockSkew.
	ClockSkew time.Duration
	// Record writes a Kubernetes Event off the hot path; nil drops it.
	Record func(obj corev1.ObjectReference, reason, message string)
	// Instance names this responder in Kubernetes Events (host name).
	Instance string
	Now      func() time.Time
}

// actionKinds constructs an action from its configuration. It is a fixed
// table, not a registry that init functions fill in.
var actionKinds = map[string]func(r *Response, d ActionDeps) (Action, error){
	DeletePodAction: newDeletePod,
}

// ActionKinds lists the configurable action names.
func ActionKinds() []string {
	names := make([]string, 0, len(actionKinds))
	for k := range actionKinds {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// NewAction builds the action a response names.
func NewAction(r *Response, d ActionDeps) (Action, error) {
	mk, ok := actionKinds[r.Action]
	if !ok {
		return nil, fmt.Errorf("unknown action %q (known: %s)", r.Action, strings.Join(ActionKinds(), ", "))
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Allowed == nil {
		d.Allowed = func(map[string]string) string { return "" }
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Record == nil {
		d.Record = func(corev1.ObjectReference, string, string) {}
	}
	return mk(r, d)
}

// Permissions aggregates the RBAC rules of every action the configuration
// uses, merged per (API groups, resources) and sorted, so the result is
// stable and can be compared in tests and diffs.
func Permissions(c *Config) ([]rbacv1.PolicyRule, error) {
	var all []rbacv1.PolicyRule
	for i := range c.Responses {
		a, err := NewAction(&c.Responses[i], ActionDeps{})
		if err != nil {
			return nil, err
		}
		all = append(all, a.Permissions()...)
	}
	return MergeRules(all), nil
}

// MergeRules unions the verbs of rules with the same API groups and
// resources (and no resource names or non-resource URLs, which actions do
// not use) and sorts everything.
func MergeRules(rules []rbacv1.PolicyRule) []rbacv1.PolicyRule {
	type key struct{ groups, resources string }
	verbs := map[key]map[string]bool{}
	var order []key
	for _, r := range rules {
		k := key{strings.Join(sorted(r.APIGroups), ","), strings.Join(sorted(r.Resources), ",")}
		if verbs[k] == nil {
			verbs[k] = map[string]bool{}
			order = append(order, k)
		}
		for _, v := range r.Verbs {
			verbs[k][v] = true
		}
	}
	sort.Slice(order, func(i, j int) bool {
		if order[i].groups != order[j].groups {
			return order[i].groups < order[j].groups
		}
		return order[i].resources < order[j].resources
	})
	out := make([]rbacv1.PolicyRule, 0, len(order))
	for _, k := range order {
		var vs []string
		for v := range verbs[k] {
			vs = append(vs, v)
		}
		sort.Strings(vs)
		out = append(out, rbacv1.PolicyRule{
			APIGroups: strings.Split(k.groups, ","),
			Resources: strings.Split(k.resources, ","),
			Verbs:     vs,
		})
	}
	return out
}

func sorted(s []string) []string {
	c := slices.Clone(s)
	sort.Strings(c)
	return c
}
