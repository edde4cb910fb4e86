package policies

import (
	"slices"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
)

// clusterAdminSchema names the bindings to cluster-admin the platform
// itself needs. The pack's own stacks need none: k3s already binds
// cluster-admin to system:masters for the admin kubeconfig.
var clusterAdminSchema = &policyx.ConfigSchema{Properties: map[string]map[string]any{
	"allowedBindings": {
		"type":        "array",
		"items":       map[string]any{"type": "string"},
		"description": "names of (Cluster)RoleBindings that may bind cluster-admin (the platform's own)",
	},
}}

// k8s-no-cluster-admin-binding: cluster-admin is every permission on every
// object; an identity holding it turns any compromise of that identity
// (a Falco or responder token, an operator's laptop) into the cluster.
var _ = register(resourceRule{
	name:   "k8s-no-cluster-admin-binding",
	order:  170,
	level:  policyx.EnforcementLevelMandatory,
	cis:    "Kubernetes CIS 5.1.1",
	what:   "no (Cluster)RoleBinding grants `cluster-admin` except to `system:masters` or a binding named in the policy's `allowedBindings` config (the platform's own)",
	schema: clusterAdminSchema,
	check: func(c *resourceCheck) {
		b, ok := asBinding(c.r)
		if !ok || b.roleKind != "ClusterRole" || b.roleName != "cluster-admin" {
			return
		}
		allowed, _ := c.cfg["allowedBindings"].([]any)
		if slices.Contains(allowed, any(b.name)) {
			return
		}
		for _, s := range b.subjects {
			if s.kind == "Group" && s.name == "system:masters" {
				continue
			}
			c.report("binding %s grants cluster-admin to %s: bind a role with only the verbs and resources it needs (see the responder's and Falco's roles), or name the binding in this policy's allowedBindings if it is the platform's own", b.name, s)
		}
	},
})
