package policies

// k3sProtectKernelDefaults: with the flag the kubelet refuses to start when
// the kernel tunables it depends on differ from what it expects, instead of
// silently changing them (the host component sets them in
// /etc/sysctl.d/90-k3s-onprem.conf).
var k3sProtectKernelDefaults = k3sRule(
	"k3s-protect-kernel-defaults",
	"k3s CIS 4.2.6",
	"every node's k3s config sets protect-kernel-defaults: true and no drop-in turns it off",
	func(_ *Env, k *k3sConfig) []string {
		return k.requireTrue("protect-kernel-defaults",
			"the components/k3s renderer sets it on every node; keep hardening.sysctls on so the kubelet's kernel settings are in place")
	})
