package policies

import (
	"slices"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
)

// k3s-vip-in-tls-san: every client (agents, the kubeconfig the stack exports,
// keepalived's health check) talks to the VIP; without it in the serving
// certificate they fail TLS verification or get told to skip it, and
// adding it later needs `k3s certificate rotate` on every server.
var _ = register(k3sRule(resourceRule{
	name:  "k3s-vip-in-tls-san",
	order: 150,
	level: policyx.EnforcementLevelMandatory,
	cis:   "k3s CIS 1.2.24 (serving certificate); k3s HA guidance",
	what:  "every server's `tls-san` contains `vip.address`",
},
	func(env *Env, k *k3sConfig) []string {
		if !k.server || env.VIP == "" {
			return nil
		}
		v, ok := k.value("tls-san")
		if !ok && k.dropIn {
			return nil
		}
		var sans []string
		switch t := v.(type) {
		case []any:
			for _, e := range t {
				if s, ok := e.(string); ok {
					sans = append(sans, s)
				}
			}
		case string:
			sans = []string{t}
		}
		if slices.Contains(sans, env.VIP) {
			return nil
		}
		return []string{k.where() + " does not list the VIP " + env.VIP + " in tls-san: the components/k3s renderer puts vip.address first; keep vip.address and the servers' tls-san in step"}
	}))
