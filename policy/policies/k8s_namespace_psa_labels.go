package policies

import (
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
)

// k8s-namespace-psa-labels: the cluster-wide PSA default already enforces
// restricted, but labels state the level next to the namespace, survive a
// change of the admission defaults, and audit and warn at restricted keep
// every relaxation visible in the audit log and in client warnings. A level
// below restricted is an exception and must say why.
var _ = register(resourceRule{
	name:  "k8s-namespace-psa-labels",
	order: 160,
	level: policyx.EnforcementLevelMandatory,
	cis:   "Kubernetes CIS 5.2.1",
	what:  "every Namespace has the Pod Security `enforce`, `audit` and `warn` labels; audit and warn are `restricted`; enforce is `restricted` unless the Namespace carries a reason (annotation `k3s-onprem.io/pod-security-reason`) or is listed with a reason in `podSecurity.exemptNamespaces`",
	check: func(c *resourceCheck) {
		if c.r.Type != typeNamespace || c.env.PSP {
			return
		}
		meta := at(c.props, "metadata")
		labels := at(c.props, "metadata", "labels")
		if meta.Unknown() || labels.Unknown() {
			return
		}
		ns, _ := at(c.props, "metadata", "name").Str()
		if ns == "" {
			ns = c.r.Name
		}
		lm, _ := labels.Map()
		for _, key := range []string{psaEnforceLabel, psaAuditLabel, psaWarnLabel} {
			v := at(lm, key)
			if v.Unknown() {
				continue
			}
			level, _ := v.Str()
			switch {
			case level == "":
				c.report("namespace %s has no %s label: label it %s=restricted (the podsecurity component labels the namespaces it creates)", ns, key, key)
			case key != psaEnforceLabel && level != psaRestricted:
				c.report("namespace %s sets %s=%s: keep audit and warn at restricted so relaxations stay visible", ns, key, level)
			case key == psaEnforceLabel && level != psaRestricted:
				if _, ok := c.env.Exempt[ns]; ok {
					continue
				}
				reason := at(c.props, "metadata", "annotations", psaReasonAnnotation)
				if reason.Unknown() {
					continue
				}
				if r, _ := reason.Str(); strings.TrimSpace(r) == "" {
					c.report("namespace %s enforces %s without a reason: enforce restricted, or annotate the Namespace with %s saying why its workload cannot run restricted (or list it with a reason in podSecurity.exemptNamespaces)", ns, level, psaReasonAnnotation)
				}
			}
		}
	},
})
