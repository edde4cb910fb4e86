package host

import (
	"strings"

	"k3s-onprem/internal/hoststep"
)

// Baseline packages per OS family: what k3s, firewalld and the steps use.
var (
	debianPackages = []string{"ca-certificates", "conntrack", "curl", "ebtables", "ethtool", "firewalld", "iptables", "kmod", "socat"}
	rhelPackages   = []string{"ca-certificates", "conntrack-tools", "curl", "ethtool", "firewalld", "iptables", "kmod", "socat", "policycoreutils-python-utils"}
)

// packagesStep installs the baseline packages (and auditd when it is on).
var packagesStep = hoststep.Def[StepsInput]{
	Name: "packages",
	Build: func(in StepsInput) (hoststep.Step, error) {
		deb, rhel := debianPackages, rhelPackages
		if in.Hardening.Auditd {
			deb, rhel = append(deb, "auditd"), append(rhel, "audit")
		}
		return hoststep.Step{
			Name:   "packages",
			Script: script("packages.sh"),
			Vars:   map[string]string{"DEBIAN_PACKAGES": strings.Join(deb, " "), "RHEL_PACKAGES": strings.Join(rhel, " ")},
		}, nil
	},
}
