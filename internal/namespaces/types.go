// Package namespaces is the registry of every namespace the program creates
// or relies on: each is declared here once, with its Pod Security level and
// why, the traffic its workloads need (its NetworkPolicies), and whether the
// Falco responder may act in it. Everything else is derived from this
// table: the namespaces and policies the podsecurity layer creates, the
// responder's protected list, the k3s Pod Security exemptions and the
// policy pack's lists. Adding a namespace is one entry in registry.go.
//
// The package is a leaf (no Pulumi, no Kubernetes types), so the
// components, the responder binary and the policy pack can all import it.
package namespaces

import "fmt"

// Pod Security Standards levels.
const (
	Privileged = "privileged"
	Baseline   = "baseline"
	Restricted = "restricted"
)

// Namespace is a namespace the program creates, the pod security level its
// workload needs, and the traffic its workload needs.
type Namespace struct {
	Name string
	// Owner is the component that installs into it (loadbalancer,
	// ingress, falco, responder).
	Owner string
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
	// ResponderMayAct is whether the Falco responder may delete pods
	// here. False for every namespace the program creates: a forged or
	// real event must not take down Falco's sensors, MetalLB or the
	// ingress controllers.
	ResponderMayAct bool
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
	// FromNodes ports accept traffic from the nodes only: the internal
	// CIDR, and the cluster CIDR for host traffic that kube-proxy
	// masquerades onto the pod network. Never the public network.
	FromNodes []Port
	// Metrics ports accept traffic from namespaces labelled
	// k3s-onprem.io/scrape-metrics=true.
	Metrics []Port
	// APIServer allows egress to kube-apiserver.
	APIServer bool
	// AllPods allows egress to every pod in the cluster (a proxy that
	// forwards to backends anywhere).
	AllPods bool
	// AnyEgress allows egress to anywhere (a forwarder whose targets are
	// arbitrary external URLs).
	AnyEgress bool
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

// Exemption is a namespace exempt from a rule, with why.
type Exemption struct {
	Namespace string
	Reason    string
}

// System is a namespace Kubernetes or k3s creates itself.
type System struct {
	Name string
	// PSAExempt is why the namespace is exempt from Pod Security
	// Admission ("" = not exempt).
	PSAExempt string
	// AutomountAllowed is why pods there may use the default service
	// account with a token ("" = they may not).
	AutomountAllowed string
	// Managed namespaces get the program's default-deny and DNS policies
	// and a default service account without a token; their PSA labels
	// stay the cluster default.
	Managed bool
	// ResponderMayAct: see Namespace.
	ResponderMayAct bool
}

// Validate checks a declaration.
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
