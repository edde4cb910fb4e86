package responder

import (
	"strings"
)

// systemNamespaces are never acted on, whatever the configuration says.
// Deleting a pod there can take the cluster or its defences down (CoreDNS,
// MetalLB speakers, the ingress controllers, Falco itself), and an attacker
// who can forge one event could otherwise use the responder to do it. A
// trailing "*" matches a prefix (the project runs ingress-nginx-internal
// and ingress-nginx-external).
var systemNamespaces = [...]string{
	"kube-system",
	"kube-public",
	"kube-node-lease",
	"falco",
	"metallb-system",
	"ingress-nginx*",
}

// SystemNamespaces returns the built-in protected namespaces (a copy).
func SystemNamespaces() []string { return append([]string(nil), systemNamespaces[:]...) }

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
	for _, ns := range systemNamespaces {
		if p, ok := strings.CutSuffix(ns, "*"); ok {
			g.prefixes = append(g.prefixes, p)
		} else {
			g.exact[ns] = ReasonProtectedNamespace
		}
	}
	if c.OwnNamespace != "" {
		g.exact[c.OwnNamespace] = ReasonProtectedNamespace
	}
	for _, ns := range c.Allow.Namespaces {
		if _, sys := g.exact[ns]; !sys {
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
