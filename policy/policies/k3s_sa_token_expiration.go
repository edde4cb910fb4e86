package policies

import "github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

// k3s-sa-token-expiration: with extension on (the upstream default) the API
// server silently turns short-lived projected service-account tokens into
// one-year tokens, so a stolen token stays valid long after the pod is gone.
var _ = register(k3sRule(resourceRule{
	name:  "k3s-sa-token-expiration",
	order: 130,
	level: policyx.EnforcementLevelMandatory,
	cis:   "k3s hardening guide (CIS 1.9 profile), Kubernetes >= 1.29",
	what:  "servers pass `service-account-extend-token-expiration=false` when `k3s.version` is 1.29 or newer",
},
	func(env *Env, k *k3sConfig) []string {
		minor, known := kubeMinor(env.K3sVersion)
		if !k.server || !known || minor < 29 {
			return nil
		}
		a := k.args("kube-apiserver")
		v, set := a.get("service-account-extend-token-expiration")
		switch {
		case set && v != "false":
			return []string{k.where() + " sets service-account-extend-token-expiration=" + v + ": set it to false"}
		case !set && a.full:
			return []string{k.where() + " does not pass service-account-extend-token-expiration=false (k3s.version " + env.K3sVersion + " is 1.29 or newer): add it to kube-apiserver-arg"}
		}
		return nil
	}))
