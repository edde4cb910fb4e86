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

import "fmt"

// Pod Security Standards levels.
const (
	Privileged = "privileged"
	Baseline   = "baseline"
	Restricted = "restricted"
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

// Namespace is a namespace the program creates, the pod security level its
// workload needs, and the traffic its workload needs.
type Namespace struct {
	Name string
	// Enforce is the PSA level enforced. Restricted unless the workload
	// cannot run under it; audit and warn stay restricted either way so
	// every relaxation shows up in the audit log and in client warnings.
	Enforce string
	// Reason says why Enforce is weaker than restricted (required then).
	Reason    string
	Workloads []Workload
	// PSPGrants are the service accounts that need more than
	// global-restricted-psp on k3s <= 1.24 (ignored in PSA mode).
	PSPGrants []PSPGrant
}

// Workload is one set of pods in a namespace and the traffic it needs on
// top of default-deny and DNS.
type Workload struct {
	// Name names its NetworkPolicy: allow-<name>.
	Name string
	// Selector selects the workload's pods.
	Selector map[string]string
	// HostNetwork pods share the node's network namespace, where
	// NetworkPolicies do not apply; no policy is rendered for them and
	// the README says so.
	HostNetwork bool
	// Public ports accept traffic from any source (clients, or the API
	// server calling a webhook from a host-network address).
	Public []Port
	// Metrics ports accept traffic from namespaces labelled
	// LabelScrapeMetrics=true.
	Metrics []Port
	// APIServer allows egress to kube-apiserver.
	APIServer bool
	// AllPods allows egress to every pod in the cluster (a proxy that
	// forwards to backends anywhere).
	AllPods bool
	// Why explains the allows, for the README.
	Why string
}

// Port is a TCP port unless Protocol says UDP.
type Port struct {
	Port     int32
	Protocol string
}

// PSPGrant lets service accounts of a namespace use a PodSecurityPolicy.
type PSPGrant struct {
	Policy          string
	ServiceAccounts []string
	Reason          string
}

// Exemption is a namespace exempt from Pod Security Admission, with why.
type Exemption struct {
	Namespace string
	Reason    string
}

// SystemExemptions are the only namespaces exempt from Pod Security
// Admission. The k3s AdmissionConfiguration lists them; every other
// namespace that needs privilege says so with its own labels instead, so
// audit and warn still see it.
var SystemExemptions = []Exemption{
	{Namespace: "kube-system", Reason: "k3s's packaged add-ons run here and are managed by k3s, not by this program; the local-path provisioner's helper pods mount host paths, which the baseline level forbids"},
}

// ExistingNamespaces are created by Kubernetes itself. Their default
// service accounts are patched and they get default-deny policies, but
// their labels are left to the cluster-wide PSA defaults.
var ExistingNamespaces = []string{"default", "kube-public", "kube-node-lease"}

// AutomountAllowNamespaces are outside the admission policy that rejects
// pods using the default service account with a token.
var AutomountAllowNamespaces = []Exemption{
	{Namespace: "kube-system", Reason: "k3s's packaged add-ons are managed by k3s; whether their pods mount tokens is k3s's decision, and blocking one would break the cluster's DNS or storage"},
}

// Labels are the PSA labels of a namespace we create: enforce at its level,
// audit and warn at restricted.
func Labels(ns Namespace) map[string]string {
	return map[string]string{
		LabelEnforce: ns.Enforce,
		LabelAudit:   Restricted,
		LabelWarn:    Restricted,
	}
}

// Validate checks the data components declare about their namespaces.
func (ns Namespace) Validate() error {
	switch ns.Enforce {
	case Restricted:
	case Baseline, Privileged:
		if ns.Reason == "" {
			return fmt.Errorf("namespace %s: enforce %s needs a reason", ns.Name, ns.Enforce)
		}
	default:
		return fmt.Errorf("namespace %s: unknown level %q", ns.Name, ns.Enforce)
	}
	for _, g := range ns.PSPGrants {
		if g.Reason == "" {
			return fmt.Errorf("namespace %s: grant of %s needs a reason", ns.Name, g.Policy)
		}
	}
	return nil
}
