package policies

import (
	"fmt"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
	"strconv"
)

// k3s-kubeconfig-mode: /etc/rancher/k3s/k3s.yaml holds the cluster-admin
// client key; readable by group or others it is cluster-admin for every
// local user.
var _ = register(k3sRule(resourceRule{
	name:  "k3s-kubeconfig-mode",
	order: 140,
	level: policyx.EnforcementLevelMandatory,
	cis:   "k3s CIS 1.1.13",
	what:  "`write-kubeconfig-mode`, where set, grants nothing to group or others (0600)",
},
	func(_ *Env, k *k3sConfig) []string {
		v, ok := k.value("write-kubeconfig-mode")
		if !ok {
			return nil // k3s writes k3s.yaml with 0600 by default
		}
		s := fmt.Sprint(v)
		mode, err := strconv.ParseUint(s, 8, 32)
		if err != nil || mode&0o077 != 0 {
			return []string{k.where() + " sets write-kubeconfig-mode " + s + ": use \"0600\" (the admin kubeconfig must be readable by root only)"}
		}
		return nil
	}))
