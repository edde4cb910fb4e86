package host

import (
	"embed"
	"fmt"
	"strings"

	"k3s-onprem/internal/hoststep"
)

//go:embed scripts/*.sh
var scriptFS embed.FS

func script(name string) string {
	b, err := scriptFS.ReadFile("scripts/" + name)
	if err != nil {
		panic(fmt.Sprintf("embedded script %s missing: %v", name, err)) // build-time invariant
	}
	return string(b)
}

// Hardening selects the CIS OS-hardening parts.
type Hardening struct {
	SSHD, Auditd, ModuleBlacklist, Sysctls, CoreDumps, FilePermissions bool
	// SELinux is enforcing, permissive or off (RHEL family only).
	SELinux         string
	PermitRootLogin string
}

// StepsInput is everything the host steps are rendered from.
type StepsInput struct {
	Firewall                FirewallInput
	FirewallBackendIptables bool
	Hardening               Hardening
}

// Baseline packages per OS family: what k3s, firewalld and the steps use.
var (
	debianPackages = []string{"ca-certificates", "conntrack", "curl", "ebtables", "ethtool", "firewalld", "iptables", "kmod", "socat"}
	rhelPackages   = []string{"ca-certificates", "conntrack-tools", "curl", "ethtool", "firewalld", "iptables", "kmod", "socat", "policycoreutils-python-utils"}
)

// Steps returns the host steps in the order they run. The list is pure so
// the renderer, the mocks tests and the lab runner see the same steps.
func Steps(in StepsInput) ([]hoststep.Step, error) {
	deb, rhel := debianPackages, rhelPackages
	if in.Hardening.Auditd {
		deb, rhel = append(deb, "auditd"), append(rhel, "audit")
	}
	steps := []hoststep.Step{{
		Name:   "packages",
		Script: script("packages.sh"),
		Vars:   map[string]string{"DEBIAN_PACKAGES": strings.Join(deb, " "), "RHEL_PACKAGES": strings.Join(rhel, " ")},
	}}
	k3sSysctl, err := RenderSysctl("sysctls required by k3s and protect-kernel-defaults", K3sSysctls)
	if err != nil {
		return nil, err
	}
	steps = append(steps, hoststep.Step{
		Name:   "kernel",
		Script: script("kernel.sh"),
		Files: []hoststep.File{
			{Path: "/etc/modules-load.d/k3s-onprem.conf", Mode: 0o644, Content: RenderModulesLoad(K3sModules)},
			{Path: "/etc/sysctl.d/90-k3s-onprem.conf", Mode: 0o644, Content: k3sSysctl},
		},
		Vars: map[string]string{"CONTAINER_EXCEPTIONS": strings.TrimSpace(
			containerExceptionsFor("module", K3sModules) + " " + containerExceptionsFor("sysctl", sysctlKeys(K3sSysctls)))},
	})
	internal, public, err := RenderZones(in.Firewall)
	if err != nil {
		return nil, err
	}
	zoneIfaces := "internal=" + in.Firewall.InternalInterface
	if in.Firewall.ExternalInterface != "" {
		zoneIfaces += " public=" + in.Firewall.ExternalInterface
	}
	fw := hoststep.Step{
		Name:   "firewall",
		Script: script("firewall.sh"),
		Files: []hoststep.File{
			{Path: "/etc/firewalld/zones/internal.xml", Mode: 0o644, Content: internal},
			{Path: "/etc/firewalld/zones/public.xml", Mode: 0o644, Content: public},
		},
		Vars: map[string]string{"ZONE_INTERFACES": zoneIfaces},
	}
	if in.FirewallBackendIptables {
		fw.Vars["FIREWALL_BACKEND_IPTABLES"] = "1"
	}
	steps = append(steps, fw)
	if in.Hardening.SELinux != "off" {
		steps = append(steps, hoststep.Step{Name: "selinux", Script: script("selinux.sh"), Vars: map[string]string{"SELINUX_MODE": in.Hardening.SELinux}})
	}
	hardening, err := hardeningSteps(in.Hardening)
	if err != nil {
		return nil, err
	}
	return append(steps, hardening...), nil
}

func hardeningSteps(h Hardening) ([]hoststep.Step, error) {
	var steps []hoststep.Step
	if h.SSHD {
		sshd, err := RenderSSHD(h.PermitRootLogin)
		if err != nil {
			return nil, err
		}
		steps = append(steps, hoststep.Step{Name: "sshd", Script: script("sshd.sh"), Files: []hoststep.File{
			{Path: "/etc/ssh/sshd_config.d/00-k3s-onprem.conf", Mode: 0o600, Content: sshd},
			{Path: "/etc/issue.net", Mode: 0o644, Content: []byte(Banner)},
		}})
	}
	if h.Auditd {
		rules, err := RenderAuditRules()
		if err != nil {
			return nil, err
		}
		steps = append(steps, hoststep.Step{Name: "auditd", Script: script("auditd.sh"), Files: []hoststep.File{
			{Path: "/etc/audit/rules.d/50-k3s-onprem.rules", Mode: 0o600, Content: rules},
		}, Vars: map[string]string{"CONTAINER_EXCEPTIONS": containerExceptionsFor("service", []string{"auditd"})}})
	}
	if h.ModuleBlacklist {
		steps = append(steps, hoststep.Step{Name: "modprobe", Script: script("files.sh"), Files: []hoststep.File{
			{Path: "/etc/modprobe.d/k3s-onprem-blacklist.conf", Mode: 0o644, Content: RenderModprobeBlacklist(BlacklistedModules)},
			// Nothing to reload: modprobe reads the file on the next load.
		}, Vars: map[string]string{"RELOAD": ""}})
	}
	if h.Sysctls {
		s, err := RenderSysctl("CIS 3.x network and kernel hardening (safe subset)", HardeningSysctls)
		if err != nil {
			return nil, err
		}
		steps = append(steps, hoststep.Step{Name: "sysctl", Script: script("sysctl.sh"), Files: []hoststep.File{
			{Path: "/etc/sysctl.d/95-k3s-onprem-hardening.conf", Mode: 0o644, Content: s},
		}, Vars: map[string]string{"CONTAINER_EXCEPTIONS": containerExceptionsFor("sysctl", sysctlKeys(HardeningSysctls))}})
	}
	if h.CoreDumps {
		steps = append(steps, hoststep.Step{Name: "coredump", Script: script("files.sh"), Files: []hoststep.File{
			{Path: "/etc/systemd/coredump.conf.d/50-k3s-onprem.conf", Mode: 0o644, Content: []byte(CoredumpConf)},
			{Path: "/etc/security/limits.d/50-k3s-onprem.conf", Mode: 0o644, Content: []byte(LimitsConf)},
		}, Vars: map[string]string{"RELOAD": "systemctl daemon-reload"}})
	}
	if h.FilePermissions {
		steps = append(steps, hoststep.Step{Name: "permissions", Script: script("permissions.sh")})
	}
	return steps, nil
}
