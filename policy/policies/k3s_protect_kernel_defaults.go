package policies

import "github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

// k3s-protect-kernel-defaults: with the flag the kubelet refuses to start when
// the kernel tunables it depends on differ from what it expects, instead of
// silently changing them (the host component sets them in
// /etc/sysctl.d/90-k3s-onprem.conf).
var _ = register(k3sRule(resourceRule{
	name:  "k3s-protect-kernel-defaults",
	order: 60,
	level: policyx.EnforcementLevelMandatory,
	cis:   "check 4.2.6 of k3s-cis-1.24 only (k3s-cis-1.7 and later have no protect-kernel-defaults check; their 4.2.6 is make-iptables-util-chains)",
	what:  "every node's `config.yaml` sets `protect-kernel-defaults: true`; no drop-in turns it off",
},
	func(_ *Env, k *k3sConfig) []string {
		return k.requireTrue("protect-kernel-defaults",
			"the components/k3s renderer sets it on every node; keep hardening.sysctls on so the kubelet's kernel settings are in place")
	}))
