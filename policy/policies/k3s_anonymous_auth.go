package policies

import "github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

// k3s-anonymous-auth: k3s already runs the API server and the kubelets with
// anonymous-auth=false; the policy keeps an extra argument from turning it
// back on, which would hand the RBAC rules of system:anonymous to anyone
// who reaches port 6443 or 10250.
var _ = register(k3sRule(resourceRule{
	name:  "k3s-anonymous-auth",
	order: 100,
	level: policyx.EnforcementLevelMandatory,
	cis:   "k3s CIS 1.2.1, 4.2.1",
	what:  "no `kube-apiserver-arg` or `kubelet-arg` overrides k3s's `anonymous-auth=false`",
},
	func(_ *Env, k *k3sConfig) []string {
		var out []string
		for _, comp := range []string{"kube-apiserver", "kubelet"} {
			if v, ok := k.args(comp).get("anonymous-auth"); ok && v != "false" {
				out = append(out, k.where()+" passes "+comp+" anonymous-auth="+v+": remove that argument (k3s sets anonymous-auth=false)")
			}
		}
		return out
	}))
