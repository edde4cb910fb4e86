package policies

import (
	"fmt"
	"strconv"
)

// k3sKubeconfigMode: /etc/rancher/k3s/k3s.yaml holds the cluster-admin
// client key; readable by group or others it is cluster-admin for every
// local user.
var k3sKubeconfigMode = k3sRule(
	"k3s-kubeconfig-mode",
	"k3s CIS 1.1.13 (admin kubeconfig 600)",
	"write-kubeconfig-mode, where set, grants nothing to group or others (0600)",
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
	})
