package host

import (
	"embed"
	"fmt"

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

// stepOrder is the host steps in the order they run (one step_<name>.go each).
var stepOrder = []hoststep.Def[StepsInput]{
	packagesStep, kernelStep, firewallStep, selinuxStep,
	sshdStep, auditdStep, modprobeStep, sysctlStep, coredumpStep, permissionsStep,
}

// HostSteps returns one node's host steps in the order they run. It is
// pure, so the renderer, the mocks tests and the lab runner see the same
// steps.
func HostSteps(in StepsInput) ([]hoststep.Step, error) {
	return hoststep.Build(stepOrder, in.role(), in)
}

// role is the node's role: the firewall input says whether it is a server.
func (in StepsInput) role() string {
	if in.Firewall.Server {
		return hoststep.RoleServer
	}
	return hoststep.RoleAgent
}

// off is the skip reason of a hardening step the stack turned off.
func off(on bool, setting string) string {
	if on {
		return ""
	}
	return "hardening." + setting + " is off"
}
