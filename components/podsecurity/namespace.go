// Package podsecurity hardens what runs in the cluster: Pod Security
// Admission labels (k3s >= 1.25) or the blog's PodSecurityPolicies
// (<= 1.24), default service accounts without tokens (CIS 5.1.5/5.1.6) and
// an admission policy that keeps it so in namespaces created later, and
// NetworkPolicies for every namespace the program manages (CIS 5.3.2).
//
// The render*.go files are pure: they build upstream API objects
// (k8s.io/api types) from plain Go data. component.go registers exactly
// those objects as pulumi-kubernetes resources, and the real-API-server
// tests apply exactly those objects, so all three agree by construction.
package podsecurity

import "k3s-onprem/internal/namespaces"

// Pod Security Standards levels.
const (
	Privileged = namespaces.Privileged
	Baseline   = namespaces.Baseline
	Restricted = namespaces.Restricted
)

// Modes: which mechanism enforces pod security.
const (
	ModePSA = "psa" // Pod Security Admission, k3s >= 1.25
	ModePSP = "psp" // PodSecurityPolicy, k3s <= 1.24 (removed in 1.25)
)

// PSA namespace label keys.
const (
	LabelEnforce = "pod-security.kubernetes.io/enforce"
	LabelAudit   = "pod-security.kubernetes.io/audit"
	LabelWarn    = "pod-security.kubernetes.io/warn"
)

// LabelScrapeMetrics opts a namespace in to scraping the metrics ports of
// the namespaces this program manages (its value must be "true"). Nothing
// is labelled by default: metrics stay closed until a monitoring stack is
// deliberately allowed in.
const LabelScrapeMetrics = "k3s-onprem.io/scrape-metrics"

// AnnotationReason records on a Namespace why it enforces less than
// restricted; the policy pack requires it on every such namespace.
const AnnotationReason = "k3s-onprem.io/pod-security-reason"

// The declarations of the namespaces the program creates live in the
// registry (internal/namespaces); this layer renders them.
type (
	Namespace = namespaces.Namespace
	Workload  = namespaces.Workload
	Port      = namespaces.Port
	PSPGrant  = namespaces.PSPGrant
	Exemption = namespaces.Exemption
)

// SystemExemptions are the only namespaces exempt from Pod Security
// Admission (from the registry). The k3s AdmissionConfiguration lists
// them; every other namespace that needs privilege says so with its own
// labels instead, so audit and warn still see it.
var SystemExemptions = namespaces.PSAExemptions()

// ExistingNamespaces are created by Kubernetes itself. Their default
// service accounts are patched and they get default-deny policies, but
// their labels are left to the cluster-wide PSA defaults.
var ExistingNamespaces = namespaces.ManagedSystems()

// AutomountAllowNamespaces are outside the admission policy that rejects
// pods using the default service account with a token.
var AutomountAllowNamespaces = namespaces.AutomountAllowed()

// Labels are the PSA labels of a namespace we create: enforce at its level,
// audit and warn at restricted.
func Labels(ns Namespace) map[string]string {
	return map[string]string{
		LabelEnforce: ns.Enforce,
		LabelAudit:   Restricted,
		LabelWarn:    Restricted,
	}
}
