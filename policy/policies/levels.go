package policies

import "strings"

// Pod Security levels, label and annotation keys.
const (
	psaEnforceLabel = "pod-security.kubernetes.io/enforce"
	psaAuditLabel   = "pod-security.kubernetes.io/audit"
	psaWarnLabel    = "pod-security.kubernetes.io/warn"
	psaPrivileged   = "privileged"
	psaBaseline     = "baseline"
	psaRestricted   = "restricted"
	// psaReasonAnnotation carries why a namespace enforces less than
	// restricted, on the Namespace object itself.
	psaReasonAnnotation = "k3s-onprem.io/pod-security-reason"
)

// nsLevels maps namespaces to the Pod Security level that admission will
// enforce there.
type nsLevels struct {
	env *Env
	// declared holds the enforce label of namespaces the stack creates: ""
	// when the namespace has no label, levelUnknown while the labels are
	// not known yet.
	declared map[string]string
}

// levelUnknown marks a declared namespace whose labels are not known yet.
const levelUnknown = "?"

// namespaceLevels reads the enforce labels of the stack's namespaces.
func (c *stackCheck) namespaceLevels() nsLevels {
	l := nsLevels{env: c.env, declared: map[string]string{}}
	for _, r := range c.resources {
		if r.Type != typeNamespace {
			continue
		}
		name, ok := at(r.Properties, "metadata", "name").Str()
		if !ok {
			continue
		}
		label := at(r.Properties, "metadata", "labels", psaEnforceLabel)
		if label.Unknown() {
			l.declared[name] = levelUnknown
			continue
		}
		l.declared[name], _ = label.Str()
	}
	return l
}

// of returns the level for a namespace: privileged where the admission
// config exempts it (kube-system, podSecurity.exemptNamespaces), the
// namespace's own label where the stack declares one, "" when that is not
// known, and the cluster default (restricted) otherwise.
func (l nsLevels) of(ns string) string {
	if _, ok := l.env.Exempt[ns]; ok {
		return psaPrivileged
	}
	level, declared := l.declared[ns]
	switch {
	case level == levelUnknown:
		return ""
	case declared && level != "":
		return strings.ToLower(level)
	case l.env.PSP:
		// PodSecurityPolicy clusters: PSPs decide, the pack cannot.
		return ""
	}
	// Unlabelled namespaces get the cluster default.
	return psaRestricted
}

const typeNamespace = "kubernetes:core/v1:Namespace"
