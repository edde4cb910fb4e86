package responder

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"k3s-onprem/components/podsecurity"
)

// Adopted names the Kubernetes objects this component created itself
// before its namespace moved to the podsecurity layer (the namespace
// registry): the namespace and its default-deny policy. Keyed by the
// layer's resource name, valued by the old URN of the component named name.
func Adopted(stack, project, name string) map[string]pulumi.URN {
	return map[string]pulumi.URN{
		"namespace-" + DefaultNamespace: podsecurity.ChildURN(stack, project, componentType, "kubernetes:core/v1:Namespace", name+"-namespace"),
		"networkpolicy-" + DefaultNamespace + "-" + podsecurity.PolicyDefaultDeny: podsecurity.ChildURN(stack, project, componentType,
			"kubernetes:networking.k8s.io/v1:NetworkPolicy", name+"-default-deny"),
	}
}

// componentType is the component's type token.
const componentType = "k3s-onprem:responder:Responder"
