package policies

import (
	"sort"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
)

const typeNetworkPolicy = "kubernetes:networking.k8s.io/v1:NetworkPolicy"

// k8s-namespace-network-policy: without any NetworkPolicy a namespace accepts
// traffic from every pod in the cluster, so one compromised pod reaches all
// others. The check needs the whole stack: the policy may be declared
// anywhere, before or after the namespace.
var _ = register(stackRule{
	name:  "k8s-namespace-network-policy",
	order: 230,
	level: policyx.EnforcementLevelMandatory,
	cis:   "Kubernetes CIS 5.3.2",
	what:  "every namespace the stack creates or deploys workloads into has at least one NetworkPolicy",
	check: func(c *stackCheck) {
		covered := map[string]bool{}
		for _, r := range c.resources {
			if r.Type != typeNetworkPolicy {
				continue
			}
			ns := at(r.Properties, "metadata", "namespace")
			switch {
			case ns.Unknown():
				// A policy whose namespace is not known yet may cover any
				// namespace; judging now would guess.
				return
			case ns.Missing():
				covered["default"] = true
			default:
				s, _ := ns.Str()
				covered[s] = true
			}
		}
		// need maps each namespace to the first resource that needs it.
		need := map[string]policyx.AnalyzerResource{}
		for _, r := range c.resources {
			var ns string
			switch {
			case r.Type == typeNamespace:
				ns, _ = at(r.Properties, "metadata", "name").Str()
			default:
				w, ok := asWorkload(r)
				if !ok {
					continue
				}
				ns, _ = w.namespace.Str()
			}
			if _, seen := need[ns]; ns != "" && !seen {
				need[ns] = r
			}
		}
		var names []string
		for ns := range need {
			if !covered[ns] {
				names = append(names, ns)
			}
		}
		sort.Strings(names)
		for _, ns := range names {
			c.report(need[ns].URN, "namespace %s has no NetworkPolicy: add at least a default-deny policy with the allows it needs (the podsecurity component creates them for the namespaces it knows)", ns)
		}
	},
})
