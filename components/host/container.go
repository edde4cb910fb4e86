package host

import (
	"slices"
	"strings"
)

// ContainerException is one kernel-wide setting that a container cannot
// make, because it belongs to the host kernel. Inside a container
// (systemd-detect-virt --container) and only there, a step that cannot make
// it logs "warning: container exception <kind>:<name>: ..." and goes on;
// every other failed sysctl write, module load or auditd start fails the
// step, and so does a sysctl key the kernel does not have.
type ContainerException struct {
	// Kind is sysctl, module or service.
	Kind string
	// Name is the sysctl key, module or systemd service.
	Name string
	// Reason says why no container can make it.
	Reason string
}

// Reasons, declared once.
const (
	// systemd-nspawn (and Docker, LXC) mount /proc/sys read-only apart from
	// the network namespace's net.* tree: non-network keys are kernel-wide.
	reasonKernelWide = "kernel-wide key, not namespaced: a container's /proc/sys is read-only outside net.*; only the host can set it"
	// net.core.bpf_jit_* are registered for the initial network namespace
	// only (net/core/sysctl_net_core.c, netns_core_table vs net_core_table).
	reasonInitNetOnly = "exists only in the host's initial network namespace; a container with its own network namespace has no such key"
	reasonModule      = "loading a module needs CAP_SYS_MODULE in the host; a container uses what the host kernel has built in or loaded"
	reasonAudit       = "kernel audit is not namespaced: auditd cannot register as the audit daemon from a container"
)

// ContainerExceptions is the complete list. Keys not listed here (the net.*
// keys of K3sSysctls and HardeningSysctls) are per network namespace and
// must be set in a container too.
var ContainerExceptions = []ContainerException{
	{"sysctl", "vm.panic_on_oom", reasonKernelWide},
	{"sysctl", "vm.overcommit_memory", reasonKernelWide},
	{"sysctl", "kernel.panic", reasonKernelWide},
	{"sysctl", "kernel.panic_on_oops", reasonKernelWide},
	{"sysctl", "kernel.keys.root_maxbytes", reasonKernelWide},
	{"sysctl", "kernel.keys.root_maxkeys", reasonKernelWide},
	{"sysctl", "fs.protected_fifos", reasonKernelWide},
	{"sysctl", "fs.protected_hardlinks", reasonKernelWide},
	{"sysctl", "fs.protected_regular", reasonKernelWide},
	{"sysctl", "fs.protected_symlinks", reasonKernelWide},
	{"sysctl", "fs.suid_dumpable", reasonKernelWide},
	{"sysctl", "kernel.dmesg_restrict", reasonKernelWide},
	{"sysctl", "kernel.kptr_restrict", reasonKernelWide},
	{"sysctl", "kernel.randomize_va_space", reasonKernelWide},
	{"sysctl", "kernel.yama.ptrace_scope", reasonKernelWide},
	{"sysctl", "kernel.unprivileged_bpf_disabled", reasonKernelWide},
	{"sysctl", "net.core.bpf_jit_harden", reasonInitNetOnly},
	{"module", "br_netfilter", reasonModule},
	{"module", "overlay", reasonModule},
	{"service", "auditd", reasonAudit},
}

// ID is how a step script and its warnings name the exception.
func (e ContainerException) ID() string { return e.Kind + ":" + e.Name }

// containerExceptionsFor is the CONTAINER_EXCEPTIONS variable of a step
// that makes the given settings: the IDs of the listed ones, space-separated.
func containerExceptionsFor(kind string, names []string) string {
	var ids []string
	for _, e := range ContainerExceptions {
		if e.Kind == kind && slices.Contains(names, e.Name) {
			ids = append(ids, e.ID())
		}
	}
	return strings.Join(ids, " ")
}

func sysctlKeys(settings []Sysctl) []string {
	keys := make([]string, len(settings))
	for i, s := range settings {
		keys[i] = s.Key
	}
	return keys
}
