package policies

import "github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

// k8s-no-unauthenticated-binding: k3s turns anonymous auth off, but a binding
// to system:unauthenticated or system:anonymous re-opens whatever it grants
// to anyone who reaches the API (the VIP, and the public network when
// network.apiOnPublic is set).
var _ = register(resourceRule{
	name:  "k8s-no-unauthenticated-binding",
	order: 180,
	level: policyx.EnforcementLevelMandatory,
	cis:   "Kubernetes CIS 5.1.1, 1.2.1",
	what:  "no binding grants anything to `system:unauthenticated` or `system:anonymous`",
	check: func(c *resourceCheck) {
		b, ok := asBinding(c.r)
		if !ok {
			return
		}
		for _, s := range b.subjects {
			if (s.kind == "Group" && s.name == "system:unauthenticated") || (s.kind == "User" && s.name == "system:anonymous") {
				c.report("binding %s grants %s %s to %s: remove that subject; unauthenticated clients must get nothing", b.name, b.roleKind, b.roleName, s)
			}
		}
	},
})
