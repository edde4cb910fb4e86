package responder

import (
	"slices"
	"strings"

	"k3s-onprem/internal/namespaces"
)

// kubernetesNamespaces are Kubernetes' own namespaces the responder never
// acts on, whatever the configuration says (from the namespace registry,
// compiled in). The namespaces the deploying program creates for itself
// (Falco, MetalLB, the ingress controllers, the responder) come in the
// configuration as protectedNamespaces, derived from the same registry by
// the stack for the components it deploys.
var kubernetesNamespaces = systemProtected()

func systemProtected() []string {
	var out []string
	for _, s := range namespaces.Systems {
		if !s.ResponderMayAct {
			out = append(out, s.Name)
		}
	}
	return out
}

// ProtectedNamespaces returns every namespace c never acts on: Kubernetes'
// own, the configured protectedNamespaces and ownNamespace (sorted, a
// trailing "*" is a prefix).
func (c *Config) ProtectedNamespaces() []string {
	all := append([]string(nil), kubernetesNamespaces...)
	all = append(all, c.ProtectedNamespacesExtra...)
	if c.OwnNamespace != "" {
		all = append(all, c.OwnNamespace)
	}
	slices.Sort(all)
	return slices.Compact(all)
}

// NamespaceSkipReason is what the responder answers for an event in ns
// before any API call: ReasonProtectedNamespace, ReasonAllowedNamespace,
// or "" when it may act there.
func (c *Config) NamespaceSkipReason(ns string) string { return newGuard(c).namespace(ns) }

// guard decides, before any API call, whether a namespace may be acted on,
// and after the pod is read, whether its labels exempt it.
type guard struct {
	exact    map[string]string // namespace -> reason
	prefixes []string
	labels   []labelMatch
}

type labelMatch struct {
	key, value string
	anyValue   bool
}

// Skip reasons reported in outcomes, logs and metrics.
const (
	ReasonProtectedNamespace = "protected_namespace"
	ReasonAllowedNamespace   = "allowed_namespace"
	ReasonAllowedLabel       = "allowed_label"
)

func newGuard(c *Config) *guard {
	g := &guard{exact: map[string]string{}}
	for _, ns := range c.ProtectedNamespaces() {
		if p, ok := strings.CutSuffix(ns, "*"); ok {
			g.prefixes = append(g.prefixes, p)
		} else {
			g.exact[ns] = ReasonProtectedNamespace
		}
	}
	for _, ns := range c.Allow.Namespaces {
		if g.namespace(ns) == "" {
			g.exact[ns] = ReasonAllowedNamespace
		}
	}
	for _, l := range c.Allow.PodLabels {
		k, v, hasValue := strings.Cut(l, "=")
		g.labels = append(g.labels, labelMatch{key: k, value: v, anyValue: !hasValue})
	}
	return g
}

// namespace returns a skip reason, or "" when the namespace may be acted on.
func (g *guard) namespace(ns string) string {
	if r, ok := g.exact[ns]; ok {
		return r
	}
	for _, p := range g.prefixes {
		if strings.HasPrefix(ns, p) {
			return ReasonProtectedNamespace
		}
	}
	return ""
}

// podLabels returns a skip reason, or "" when no allow-listed label is set.
// With no configured labels nothing is exempt.
func (g *guard) podLabels(labels map[string]string) string {
	for _, m := range g.labels {
		if v, ok := labels[m.key]; ok && (m.anyValue || v == m.value) {
			return ReasonAllowedLabel
		}
	}
	return ""
}
