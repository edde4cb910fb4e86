package falco

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"k3s-onprem/components/podsecurity"
)

// Adopted names the Kubernetes objects this component created itself
// before its namespaces moved to the podsecurity layer (the namespace
// registry): the namespaces and the default-deny policies, whose object
// names the layer keeps. Keyed by the layer's resource name, valued by
// the old URN of the component named name. The old allow policies had
// other object names; an update replaces them.
func Adopted(stack, project, name, mode string) map[string]pulumi.URN {
	const ns, np = "kubernetes:core/v1:Namespace", "kubernetes:networking.k8s.io/v1:NetworkPolicy"
	urn := func(typ, res string) pulumi.URN {
		return podsecurity.ChildURN(stack, project, componentType, typ, res)
	}
	out := map[string]pulumi.URN{
		"namespace-" + Namespace: urn(ns, name+"-ns"),
		"networkpolicy-" + Namespace + "-" + podsecurity.PolicyDefaultDeny: urn(np, name+"-netpol-default-deny"),
	}
	if mode == ModeDaemonSet {
		out["namespace-"+SensorNamespace] = urn(ns, name+"-sensors-ns")
		out["networkpolicy-"+SensorNamespace+"-"+podsecurity.PolicyDefaultDeny] = urn(np, name+"-sensors-netpol-default-deny")
	}
	return out
}

// componentType is the component's type token.
const componentType = "k3s-onprem:falco:Falco"
