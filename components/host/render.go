package host

import (
	"bytes"
	"embed"
	"fmt"
	"sort"

	"k3s-onprem/internal/tmpl"
)

//go:embed templates/*.tmpl
var templateFS embed.FS

var templates = tmpl.Must(templateFS, "templates/*.tmpl")

func execute(name string, data any) ([]byte, error) { return templates.Execute(name, data) }

// Port is one firewalld port entry ("6443" or "30000-32767").
type Port struct {
	Port     string
	Protocol string
}

// Zone is a firewalld zone file.
type Zone struct {
	Name, Description string
	Interfaces        []string
	Services          []string
	Ports             []Port
	Masquerade        bool
	SourceCIDRs       []string
	AcceptVRRP        bool
}

// FirewallInput is what the zone renderer needs from the node and cluster.
type FirewallInput struct {
	Server            bool
	InternalInterface string
	// ExternalInterface is set only in the two-network layout.
	ExternalInterface string
	ClusterCIDR       string
	ServiceCIDR       string
	PublicPorts       []int
	APIOnPublic       bool
	// NoVRRP leaves VRRP out of a server's internal zone: kube-vip holds
	// the VIP (ARP only, no VRRP, no port of its own).
	NoVRRP bool
}

// clusterPorts is the blog's internal-zone matrix for every node.
var clusterPorts = []Port{
	{"80", "tcp"}, {"443", "tcp"}, // ingress via MetalLB
	{"6443", "tcp"},                  // API (servers; agents for the local LB)
	{"7946", "tcp"}, {"7946", "udp"}, // MetalLB memberlist
	{"8472", "udp"},                                // flannel VXLAN
	{"9099", "tcp"},                                // CNI health
	{"10250-10255", "tcp"},                         // kubelet
	{"30000-32767", "tcp"}, {"30000-32767", "udp"}, // NodePorts
}

// serverPorts are opened only on servers: etcd client and peer.
var serverPorts = []Port{{"2379-2380", "tcp"}}

// RenderZones returns the internal and public zone files. On a
// single-network node the one interface is bound to the internal zone and
// the public zone gets no interface, so it can never be the open one.
func RenderZones(in FirewallInput) (internal, public []byte, err error) {
	ports := append([]Port{}, clusterPorts...)
	if in.Server {
		ports = append(ports, serverPorts...)
	}
	sort.SliceStable(ports, func(i, j int) bool { return firstPort(ports[i]) < firstPort(ports[j]) })
	iz := Zone{
		Name:        "internal",
		Description: "k3s-onprem cluster network: node-to-node, pod and service traffic",
		Interfaces:  []string{in.InternalInterface},
		Services:    []string{"ssh"},
		Ports:       ports,
		Masquerade:  true,
		SourceCIDRs: []string{in.ClusterCIDR, in.ServiceCIDR},
		AcceptVRRP:  in.Server && !in.NoVRRP,
	}
	pz := Zone{
		Name:        "public",
		Description: "k3s-onprem public network: ingress only, no SSH",
		Masquerade:  true,
	}
	if in.ExternalInterface != "" {
		pz.Interfaces = []string{in.ExternalInterface}
		for _, p := range in.PublicPorts {
			pz.Ports = append(pz.Ports, Port{fmt.Sprint(p), "tcp"})
		}
		if in.APIOnPublic {
			pz.Ports = append(pz.Ports, Port{"6443", "tcp"})
		}
	}
	if internal, err = encodeZone(iz); err != nil {
		return nil, nil, err
	}
	public, err = encodeZone(pz)
	return internal, public, err
}

// Sysctl is one key = value line.
type Sysctl struct{ Key, Value string }

// K3sSysctls are what k3s and --protect-kernel-defaults require (k3s CIS
// hardening guide, the blog's list) plus forwarding and bridge netfilter.
var K3sSysctls = []Sysctl{
	{"vm.panic_on_oom", "0"},
	{"vm.overcommit_memory", "1"},
	{"kernel.panic", "10"},
	{"kernel.panic_on_oops", "1"},
	{"kernel.keys.root_maxbytes", "25000000"},
	{"kernel.keys.root_maxkeys", "1000000"},
	{"net.bridge.bridge-nf-call-iptables", "1"},
	{"net.bridge.bridge-nf-call-ip6tables", "1"},
	{"net.ipv4.ip_forward", "1"},
	{"net.ipv4.conf.all.forwarding", "1"},
	{"net.ipv6.conf.all.forwarding", "1"},
}

// HardeningSysctls is a safe CIS subset: nothing here breaks k3s, flannel,
// MetalLB L2 or Falco's eBPF probe. Left out on purpose (the Ansible sets
// them): tcp_sack=0 and tcp tuning (performance, not security),
// kexec_load_disabled (one-way until reboot), ptrace_scope=2 (blocks
// debugging for root too), rp_filter strict on all (breaks asymmetric
// routing on two-network nodes; 2 = loose is used instead).
var HardeningSysctls = []Sysctl{
	{"fs.protected_fifos", "2"},
	{"fs.protected_hardlinks", "1"},
	{"fs.protected_regular", "2"},
	{"fs.protected_symlinks", "1"},
	{"fs.suid_dumpable", "0"},
	{"kernel.dmesg_restrict", "1"},
	{"kernel.kptr_restrict", "2"},
	{"kernel.randomize_va_space", "2"},
	{"kernel.yama.ptrace_scope", "1"},
	{"kernel.unprivileged_bpf_disabled", "1"},
	{"net.core.bpf_jit_harden", "2"},
	{"net.ipv4.conf.all.accept_redirects", "0"},
	{"net.ipv4.conf.default.accept_redirects", "0"},
	{"net.ipv4.conf.all.secure_redirects", "0"},
	{"net.ipv4.conf.default.secure_redirects", "0"},
	{"net.ipv4.conf.all.send_redirects", "0"},
	{"net.ipv4.conf.default.send_redirects", "0"},
	{"net.ipv4.conf.all.accept_source_route", "0"},
	{"net.ipv4.conf.default.accept_source_route", "0"},
	{"net.ipv4.conf.all.log_martians", "1"},
	{"net.ipv4.conf.default.log_martians", "1"},
	{"net.ipv4.conf.all.rp_filter", "2"},
	{"net.ipv4.conf.default.rp_filter", "2"},
	{"net.ipv4.icmp_echo_ignore_broadcasts", "1"},
	{"net.ipv4.icmp_ignore_bogus_error_responses", "1"},
	{"net.ipv4.tcp_syncookies", "1"},
	{"net.ipv6.conf.all.accept_ra", "0"},
	{"net.ipv6.conf.default.accept_ra", "0"},
	{"net.ipv6.conf.all.accept_redirects", "0"},
	{"net.ipv6.conf.default.accept_redirects", "0"},
}

// RenderSysctl renders a sysctl.d file.
func RenderSysctl(purpose string, settings []Sysctl) ([]byte, error) {
	return execute("sysctl.conf.tmpl", struct {
		Purpose  string
		Settings []Sysctl
	}{purpose, settings})
}

// K3sModules must be loaded for flannel and containerd's overlayfs.
var K3sModules = []string{"br_netfilter", "overlay"}

// RenderModulesLoad renders a modules-load.d file.
func RenderModulesLoad(modules []string) []byte {
	var b bytes.Buffer
	b.WriteString("# Managed by k3s-onprem: modules k3s needs at boot\n")
	for _, m := range modules {
		b.WriteString(m + "\n")
	}
	return b.Bytes()
}

// BlacklistedModules are unused filesystems and protocols (CIS 1.1.1, 3.4).
// Not listed on purpose: vfat (EFI boot partitions), squashfs (snaps on
// Ubuntu), overlay (containerd needs it).
var BlacklistedModules = []string{"cramfs", "freevxfs", "jffs2", "hfs", "hfsplus", "udf", "dccp", "sctp", "rds", "tipc", "usb-storage"}

// RenderModprobeBlacklist makes the modules unloadable, not just not autoloaded.
func RenderModprobeBlacklist(modules []string) []byte {
	var b bytes.Buffer
	b.WriteString("# Managed by k3s-onprem: CIS 1.1.1 / 3.4 unused filesystems and protocols\n")
	for _, m := range modules {
		fmt.Fprintf(&b, "install %s /bin/false\nblacklist %s\n", m, m)
	}
	return b.Bytes()
}

// RenderSSHD renders the sshd hardening drop-in.
func RenderSSHD(permitRootLogin string) ([]byte, error) {
	return execute("sshd.conf.tmpl", struct{ PermitRootLogin string }{permitRootLogin})
}

// Banner is shown before SSH login (CIS 1.7).
const Banner = "Authorized uses only. All activity may be monitored and reported.\n"

// RenderAuditRules renders the auditd rules file.
func RenderAuditRules() ([]byte, error) { return execute("audit.rules.tmpl", nil) }

// Coredump settings (CIS 1.5.1): no core files from any process.
const (
	CoredumpConf = "# Managed by k3s-onprem: CIS 1.5.1 no core dumps\n[Coredump]\nStorage=none\nProcessSizeMax=0\n"
	LimitsConf   = "# Managed by k3s-onprem: CIS 1.5.1 no core dumps\n* hard core 0\n"
)

// firstPort orders "6443" and "30000-32767" numerically.
func firstPort(p Port) int {
	n := 0
	for _, c := range p.Port {
		if c < '0' || c > '9' {
			break
		}
		n = n*10 + int(c-'0')
	}
	return n
}
