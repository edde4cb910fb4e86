package stacks

import (
	"sort"
	"strings"
	"testing"
)

const (
	testKey1 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOs99n8cWJ4eTv+c84sOlW7wds6rKS96e9ABPJOVVSlj"
	testKey2 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINsCTXcEcuK1PaztpWGUoIVsS/Wh3UyMR6UxYppkioGe"
	// testPrivateKey is a throwaway ed25519 key made for this test only.
	testPrivateKey = "-----BEGIN OPENSSH PRIVATE KEY-----\n" +
		"b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n" +
		"QyNTUxOQAAACDrPfZ/HFieHk7/nPOLDpVu8HbOqykvenvQATyTlVUpYwAAAJhk3xZ3ZN8W\n" +
		"-----END OPENSSH PRIVATE KEY-----\n"
)

// validSpec is a small valid two-network cluster; each case breaks one thing.
func validSpec() *ClusterSpec {
	node := func(name, role, in, ex string) Node {
		return Node{Name: name, Role: role, InternalAddress: in, InternalInterface: "eth0",
			ExternalAddress: ex, ExternalInterface: "eth1", SSH: NodeSSH{HostKey: testKey1}}
	}
	return &ClusterSpec{
		Nodes: []Node{
			node("s1", RoleServer, "192.168.122.11", "192.168.1.11"),
			node("s2", RoleServer, "192.168.122.12", "192.168.1.12"),
			node("s3", RoleServer, "192.168.122.13", "192.168.1.13"),
			node("a1", RoleAgent, "192.168.122.21", "192.168.1.21"),
		},
		Network: Network{InternalCIDR: "192.168.122.0/24", ExternalCIDR: "192.168.1.0/24", ClusterCIDR: "10.43.0.0/16", ServiceCIDR: "10.44.0.0/16"},
		K3s:     K3s{Version: "v1.34.4+k3s1"},
		VIP:     VIP{Address: "192.168.122.100"},
		LoadBalancer: LoadBalancer{Pools: []Pool{
			{Name: "external", Range: "192.168.1.200-192.168.1.240", Network: "external"},
			{Name: "internal", Range: "192.168.122.200-192.168.122.240", Network: "internal"},
		}},
		Hardening: Hardening{PermitRootLogin: "prohibit-password"},
		Secrets:   SecretPresence{SSHPrivateKey: true},
	}
}

// errorSet renders errors as "Type::path" (kops style), sorted.
func errorSet(v Validation) []string {
	var out []string
	for _, e := range v.Errors {
		out = append(out, string(e.Type)+"::"+e.Field)
	}
	sort.Strings(out)
	return out
}

func TestValidate_ValidSpecHasNoErrors(t *testing.T) {
	s := validSpec()
	s.ApplyDefaults("test")
	if v := s.Validate(); len(v.Errors) > 0 {
		t.Fatalf("valid spec rejected: %v", v.Err())
	}
}

func TestValidate_RejectsInvalidConfigs(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(s *ClusterSpec)
		want   []string
	}{
		{"empty node list", func(s *ClusterSpec) { s.Nodes = nil }, []string{"FieldValueRequired::nodes"}},
		{"invalid internal IP", func(s *ClusterSpec) { s.Nodes[3].InternalAddress = "192.168.122.300" }, []string{"FieldValueInvalid::nodes[3].internalAddress"}},
		{"internal IP outside subnet", func(s *ClusterSpec) { s.Nodes[3].InternalAddress = "10.0.0.5" }, []string{"FieldValueInvalid::nodes[3].internalAddress"}},
		{"invalid external IP", func(s *ClusterSpec) { s.Nodes[0].ExternalAddress = "nope" }, []string{"FieldValueInvalid::nodes[0].externalAddress"}},
		{"invalid internal CIDR", func(s *ClusterSpec) { s.Network.InternalCIDR = "192.168.122.0/33" }, []string{"FieldValueInvalid::network.internalCidr"}},
		{"CIDR with host bits", func(s *ClusterSpec) { s.Network.ClusterCIDR = "10.43.0.1/16" }, []string{"FieldValueInvalid::network.clusterCidr"}},
		{"pod and service CIDR overlap", func(s *ClusterSpec) { s.Network.ServiceCIDR = "10.43.128.0/17" }, []string{"FieldValueInvalid::network.serviceCidr"}},
		{"pod CIDR overlaps node network", func(s *ClusterSpec) { s.Network.ClusterCIDR = "192.168.0.0/16" }, []string{
			"FieldValueInvalid::network.clusterCidr", "FieldValueInvalid::network.clusterCidr"}},
		{"VIP outside internal subnet", func(s *ClusterSpec) { s.VIP.Address = "192.168.1.100" }, []string{"FieldValueInvalid::vip.address"}},
		{"VIP inside a MetalLB pool", func(s *ClusterSpec) { s.VIP.Address = "192.168.122.210" }, []string{"FieldValueInvalid::vip.address"}},
		{"VIP equals a node address", func(s *ClusterSpec) { s.VIP.Address = "192.168.122.12" }, []string{"FieldValueInvalid::vip.address"}},
		{"VIP missing", func(s *ClusterSpec) { s.VIP.Address = "" }, []string{"FieldValueRequired::vip.address"}},
		{"pool contains a node address", func(s *ClusterSpec) { s.LoadBalancer.Pools[1].Range = "192.168.122.20-192.168.122.30" }, []string{"FieldValueInvalid::loadBalancer.pools[1].range"}},
		{"pools overlap", func(s *ClusterSpec) {
			s.LoadBalancer.Pools = append(s.LoadBalancer.Pools, Pool{Name: "extra", Range: "192.168.122.230/27", Network: "internal"})
		}, []string{"FieldValueInvalid::loadBalancer.pools[2].range"}},
		{"pool range reversed", func(s *ClusterSpec) { s.LoadBalancer.Pools[0].Range = "192.168.1.240-192.168.1.200" }, []string{"FieldValueInvalid::loadBalancer.pools[0].range"}},
		{"pool outside its network", func(s *ClusterSpec) { s.LoadBalancer.Pools[0].Range = "192.168.122.150-192.168.122.160" }, []string{"FieldValueInvalid::loadBalancer.pools[0].range"}},
		{"pool on unknown network", func(s *ClusterSpec) { s.LoadBalancer.Pools[0].Network = "dmz" }, []string{"FieldValueNotSupported::loadBalancer.pools[0].network"}},
		{"duplicate pool names", func(s *ClusterSpec) { s.LoadBalancer.Pools[1].Name = "external" }, []string{
			"FieldValueDuplicate::loadBalancer.pools[1].name", "FieldValueNotFound::ingress.internal.pool"}},
		{"two servers", func(s *ClusterSpec) { s.Nodes[2].Role = RoleAgent }, []string{"FieldValueInvalid::nodes[1].role"}},
		{"four servers", func(s *ClusterSpec) { s.Nodes[3].Role = RoleServer }, []string{"FieldValueInvalid::nodes[3].role"}},
		{"no server", func(s *ClusterSpec) {
			for i := range s.Nodes {
				s.Nodes[i].Role = RoleAgent
			}
		}, []string{"FieldValueRequired::nodes"}},
		{"duplicate node names", func(s *ClusterSpec) { s.Nodes[3].Name = "s1" }, []string{"FieldValueDuplicate::nodes[3].name"}},
		{"duplicate node addresses", func(s *ClusterSpec) { s.Nodes[3].InternalAddress = "192.168.122.11" }, []string{"FieldValueDuplicate::nodes[3].internalAddress"}},
		{"node name not a DNS label", func(s *ClusterSpec) { s.Nodes[0].Name = "Server_1" }, []string{"FieldValueInvalid::nodes[0].name"}},
		{"unknown role", func(s *ClusterSpec) { s.Nodes[3].Role = "worker" }, []string{"FieldValueNotSupported::nodes[3].role"}},
		{"missing SSH credentials", func(s *ClusterSpec) { s.Secrets.SSHPrivateKey = false }, []string{"FieldValueRequired::ssh.privateKeyPath"}},
		{"missing host key", func(s *ClusterSpec) { s.Nodes[2].SSH.HostKey = "" }, []string{"FieldValueRequired::nodes[2].ssh.hostKey"}},
		{"malformed host key", func(s *ClusterSpec) { s.Nodes[2].SSH.HostKey = "ssh-ed25519 notbase64!" }, []string{"FieldValueInvalid::nodes[2].ssh.hostKey"}},
		{"bastion without host or key", func(s *ClusterSpec) { s.SSH.Bastion = &Bastion{} }, []string{
			"FieldValueRequired::nodes[0].ssh.bastion.host", "FieldValueRequired::nodes[0].ssh.bastion.hostKey",
			"FieldValueRequired::nodes[1].ssh.bastion.host", "FieldValueRequired::nodes[1].ssh.bastion.hostKey",
			"FieldValueRequired::nodes[2].ssh.bastion.host", "FieldValueRequired::nodes[2].ssh.bastion.hostKey",
			"FieldValueRequired::nodes[3].ssh.bastion.host", "FieldValueRequired::nodes[3].ssh.bastion.hostKey"}},
		{"invalid SSH port", func(s *ClusterSpec) { s.Nodes[1].SSH.Port = 70000 }, []string{"FieldValueInvalid::nodes[1].ssh.port"}},
		{"k3s version is a channel", func(s *ClusterSpec) { s.K3s.Version = "stable" }, []string{"FieldValueInvalid::k3s.version"}},
		{"k3s version without build suffix", func(s *ClusterSpec) { s.K3s.Version = "v1.34.4" }, []string{"FieldValueInvalid::k3s.version"}},
		{"k3s version unsupported", func(s *ClusterSpec) { s.K3s.Version = "v1.19.16+k3s1" }, []string{"FieldValueInvalid::k3s.version"}},
		{"PSP with k3s 1.25+", func(s *ClusterSpec) { s.PodSecurity.Mode = "psp" }, []string{"FieldValueForbidden::podSecurity.mode"}},
		{"PSA with k3s 1.24", func(s *ClusterSpec) { s.K3s.Version = "v1.24.17+k3s1"; s.PodSecurity.Mode = "psa" }, []string{"FieldValueForbidden::podSecurity.mode"}},
		{"external interface without address", func(s *ClusterSpec) { s.Nodes[3].ExternalAddress = "" }, []string{"FieldValueRequired::nodes[3].externalAddress"}},
		{"external address without interface", func(s *ClusterSpec) { s.Nodes[3].ExternalInterface = "" }, []string{"FieldValueRequired::nodes[3].externalInterface"}},
		{"external address without external subnet", func(s *ClusterSpec) {
			s.Network.ExternalCIDR = ""
			s.LoadBalancer.Pools = s.LoadBalancer.Pools[1:]
			s.Ingress.External.Pool = "internal"
		}, []string{
			"FieldValueRequired::network.externalCidr", "FieldValueRequired::network.externalCidr",
			"FieldValueRequired::network.externalCidr", "FieldValueRequired::network.externalCidr"}},
		{"bad interface name", func(s *ClusterSpec) { s.Nodes[0].InternalInterface = "eth0/1" }, []string{"FieldValueInvalid::nodes[0].internalInterface"}},
		{"unsupported arch", func(s *ClusterSpec) { s.Nodes[0].Arch = "riscv64" }, []string{"FieldValueNotSupported::nodes[0].arch"}},
		{"virtual router id out of range", func(s *ClusterSpec) { s.VIP.VirtualRouterID = 300 }, []string{"FieldValueInvalid::vip.virtualRouterId"}},
		{"unknown VIP implementation", func(s *ClusterSpec) { s.VIP.Implementation = "metallb" }, []string{"FieldValueNotSupported::vip.implementation"}},
		{"kube-vip settings with keepalived", func(s *ClusterSpec) { s.VIP.KubeVIP = &KubeVIPSpec{LeaseDuration: 15} }, []string{"FieldValueInvalid::vip.kubeVip"}},
		{"VRRP unicast with kube-vip", func(s *ClusterSpec) { s.VIP.Implementation, s.VIP.Unicast = "kube-vip", true }, []string{"FieldValueInvalid::vip.unicast"}},
		{"kube-vip lease timings client-go rejects, all at once", func(s *ClusterSpec) {
			s.VIP.Implementation, s.VIP.KubeVIP = "kube-vip", &KubeVIPSpec{LeaseDuration: 10, RenewDeadline: 10, RetryPeriod: 9}
		}, []string{"FieldValueInvalid::vip.kubeVip", "FieldValueInvalid::vip.kubeVip"}},
		{"kube-vip lease timing out of range", func(s *ClusterSpec) {
			s.VIP.Implementation, s.VIP.KubeVIP = "kube-vip", &KubeVIPSpec{LeaseDuration: 900, RenewDeadline: 10, RetryPeriod: 2}
		}, []string{"FieldValueInvalid::vip.kubeVip.leaseDuration"}},
		{"kube-vip with an air-gapped k3s", func(s *ClusterSpec) {
			s.VIP.Implementation = "kube-vip"
			s.K3s.Airgap = &Airgap{BinaryPath: "/tmp/k3s", BinarySHA256: strings.Repeat("a", 64)}
		}, []string{"FieldValueInvalid::vip.implementation"}},
		{"ingress on unknown pool", func(s *ClusterSpec) { s.Ingress.Internal.Pool = "dmz" }, []string{"FieldValueNotFound::ingress.internal.pool"}},
		{"ingress IP outside its pool", func(s *ClusterSpec) { s.Ingress.External.LoadBalancerIP = "192.168.1.50" }, []string{"FieldValueInvalid::ingress.external.loadBalancerIp"}},
		{"airgap without checksum", func(s *ClusterSpec) { s.K3s.Airgap = &Airgap{BinaryPath: "/tmp/k3s"} }, []string{"FieldValueInvalid::k3s.airgap.binarySha256"}},
		{"bad tls san", func(s *ClusterSpec) { s.K3s.ExtraTLSSANs = []string{"not a name"} }, []string{"FieldValueInvalid::k3s.extraTlsSans[0]"}},
		{"exemption without reason", func(s *ClusterSpec) {
			s.PodSecurity.ExemptNamespaces = []Exemption{{Namespace: "monitoring"}}
		}, []string{"FieldValueRequired::podSecurity.exemptNamespaces[0].reason"}},
		{"falco output without URL", func(s *ClusterSpec) { s.Falco.Outputs = []FalcoOutput{{Type: "slack"}} }, []string{"FieldValueRequired::falco.outputs[0]"}},
		{"falco output unknown type", func(s *ClusterSpec) {
			s.Falco.Outputs = []FalcoOutput{{Type: "pager"}}
		}, []string{"FieldValueNotSupported::falco.outputs[0].type"}},
		{"responder without falco", func(s *ClusterSpec) { f, r := false, true; s.Falco.Enabled, s.Responder.Enabled = &f, &r }, []string{"FieldValueForbidden::responder.enabled"}},
		{"root login locked while connecting as root", func(s *ClusterSpec) { s.Hardening.PermitRootLogin = "no" }, []string{"FieldValueInvalid::hardening.permitRootLogin"}},
		{"firewall backend switch without reboot", func(s *ClusterSpec) { s.Network.FirewallBackendIptables = true }, []string{"FieldValueForbidden::network.firewallBackendIptables"}},
		{"SSH through the public network", func(s *ClusterSpec) { s.Nodes[0].SSH.Host = "192.168.1.11" }, []string{"FieldValueForbidden::nodes[0].ssh.host"}},
		{"SSH on the public zone", func(s *ClusterSpec) { s.Network.PublicPorts = []int{22, 443} }, []string{"FieldValueForbidden::network.publicPorts[0]"}},
		// Values that reach host files, checked to their grammar.
		{"interface name with a newline", func(s *ClusterSpec) { s.Nodes[3].InternalInterface = "eth0\n  notify /tmp/x" }, []string{"FieldValueInvalid::nodes[3].internalInterface"}},
		{"interface name of 16 bytes", func(s *ClusterSpec) { s.Nodes[3].InternalInterface = "abcdefghijklmnop" }, []string{"FieldValueInvalid::nodes[3].internalInterface"}},
		{"interface name dot", func(s *ClusterSpec) { s.Nodes[3].InternalInterface = "." }, []string{"FieldValueInvalid::nodes[3].internalInterface"}},
		{"interface name dot dot", func(s *ClusterSpec) { s.Nodes[3].InternalInterface = ".." }, []string{"FieldValueInvalid::nodes[3].internalInterface"}},
		{"interface alias with colon", func(s *ClusterSpec) { s.Nodes[3].InternalInterface = "eth0:1" }, []string{"FieldValueInvalid::nodes[3].internalInterface"}},
		{"interface name with a tab", func(s *ClusterSpec) { s.Nodes[3].InternalInterface = "eth\t0" }, []string{"FieldValueInvalid::nodes[3].internalInterface"}},
		{"interface name with a no-break space", func(s *ClusterSpec) { s.Nodes[3].InternalInterface = "eth\u00a00" }, []string{"FieldValueInvalid::nodes[3].internalInterface"}},
		{"interface name with a control character", func(s *ClusterSpec) { s.Nodes[3].InternalInterface = "eth\x010" }, []string{"FieldValueInvalid::nodes[3].internalInterface"}},
		{"interface name not UTF-8", func(s *ClusterSpec) { s.Nodes[3].InternalInterface = "eth\xff" }, []string{"FieldValueInvalid::nodes[3].internalInterface"}},
		{"external interface with XML markup", func(s *ClusterSpec) { s.Nodes[0].ExternalInterface = `eth1"/><service name="ssh` }, []string{"FieldValueInvalid::nodes[0].externalInterface"}},
		{"empty external interface name with spaces", func(s *ClusterSpec) { s.Nodes[1].ExternalInterface = " " }, []string{"FieldValueInvalid::nodes[1].externalInterface"}},
		{"VIP interface keepalived cannot carry", func(s *ClusterSpec) { s.VIP.Interface = "br#0" }, []string{"FieldValueInvalid::vip.interface"}},
		{"VIP interface with a brace", func(s *ClusterSpec) { s.VIP.Interface = "br}0" }, []string{"FieldValueInvalid::vip.interface"}},
		{"VIP interface with a space", func(s *ClusterSpec) { s.VIP.Interface = "eth0 notify" }, []string{"FieldValueInvalid::vip.interface"}},
		{"server interface inherited by keepalived", func(s *ClusterSpec) { s.Nodes[0].InternalInterface = "br!lan" }, []string{"FieldValueInvalid::vip.interface"}},
		{"release URL without scheme", func(s *ClusterSpec) { s.K3s.ReleaseURL = "github.com/k3s-io/k3s/releases/download" }, []string{"FieldValueInvalid::k3s.releaseUrl"}},
		{"release URL over plain http", func(s *ClusterSpec) { s.K3s.ReleaseURL = "http://mirror.example/k3s" }, []string{"FieldValueInvalid::k3s.releaseUrl"}},
		{"release URL with credentials", func(s *ClusterSpec) { s.K3s.ReleaseURL = "https://user:pw@mirror.example/k3s" }, []string{"FieldValueInvalid::k3s.releaseUrl"}},
		{"release URL with a query", func(s *ClusterSpec) { s.K3s.ReleaseURL = "https://mirror.example/k3s?x=1" }, []string{"FieldValueInvalid::k3s.releaseUrl"}},
		{"release URL over ftp", func(s *ClusterSpec) { s.K3s.ReleaseURL = "ftp://mirror.example/k3s" }, []string{"FieldValueInvalid::k3s.releaseUrl"}},
		{"release URL with a quote", func(s *ClusterSpec) { s.K3s.ReleaseURL = "https://mirror.example/k3s'$(id)" }, []string{"FieldValueInvalid::k3s.releaseUrl"}},
		{"falco version latest", func(s *ClusterSpec) { s.Falco.Version = "latest" }, []string{"FieldValueInvalid::falco.version"}},
		{"falco version without patch", func(s *ClusterSpec) { s.Falco.Version = "0.42" }, []string{"FieldValueInvalid::falco.version"}},
		{"falco version with v prefix", func(s *ClusterSpec) { s.Falco.Version = "v0.42.1" }, []string{"FieldValueInvalid::falco.version"}},
		{"falco version with shell", func(s *ClusterSpec) { s.Falco.Version = "0.42.1; reboot" }, []string{"FieldValueInvalid::falco.version"}},
		{"VIP on the network address", func(s *ClusterSpec) { s.VIP.Address = "192.168.122.0" }, []string{"FieldValueInvalid::vip.address"}},
		{"VIP on the broadcast address", func(s *ClusterSpec) { s.VIP.Address = "192.168.122.255" }, []string{"FieldValueInvalid::vip.address"}},
		{"node on the network address", func(s *ClusterSpec) { s.Nodes[3].InternalAddress = "192.168.122.0" }, []string{"FieldValueInvalid::nodes[3].internalAddress"}},
		{"node on the broadcast address", func(s *ClusterSpec) { s.Nodes[3].InternalAddress = "192.168.122.255" }, []string{"FieldValueInvalid::nodes[3].internalAddress"}},
		{"external address on the broadcast address", func(s *ClusterSpec) { s.Nodes[3].ExternalAddress = "192.168.1.255" }, []string{"FieldValueInvalid::nodes[3].externalAddress"}},
		{"host key is a private key", func(s *ClusterSpec) { s.Nodes[1].SSH.HostKey = testPrivateKey }, []string{"FieldValueInvalid::nodes[1].ssh.hostKey"}},
		{"host key with a comment", func(s *ClusterSpec) { s.Nodes[1].SSH.HostKey = testKey2 + " root@s2" }, []string{"FieldValueInvalid::nodes[1].ssh.hostKey"}},
		{"host key type does not match the key", func(s *ClusterSpec) {
			s.Nodes[1].SSH.HostKey = "ssh-rsa" + testKey2[len("ssh-ed25519"):]
		}, []string{"FieldValueInvalid::nodes[1].ssh.hostKey"}},
		{"host key with a second line", func(s *ClusterSpec) { s.Nodes[1].SSH.HostKey = testKey2 + "\n" + testKey1 }, []string{"FieldValueInvalid::nodes[1].ssh.hostKey"}},
		{"host key type only", func(s *ClusterSpec) { s.Nodes[1].SSH.HostKey = "ssh-ed25519" }, []string{"FieldValueInvalid::nodes[1].ssh.hostKey"}},
		{"bastion host key is a private key", func(s *ClusterSpec) {
			s.Nodes[2].SSH.Bastion = &Bastion{Host: "10.9.9.9", HostKey: testPrivateKey}
		}, []string{"FieldValueInvalid::nodes[2].ssh.bastion.hostKey"}},
		{"bastion host not a name", func(s *ClusterSpec) {
			s.Nodes[2].SSH.Bastion = &Bastion{Host: "jump host", HostKey: testKey2}
		}, []string{"FieldValueInvalid::nodes[2].ssh.bastion.host"}},
		{"ssh host not a name", func(s *ClusterSpec) { s.Nodes[0].SSH.Host = "s1\nProxyCommand x" }, []string{"FieldValueInvalid::nodes[0].ssh.host"}},
		// Weakenings.
		{"API port listed in publicPorts", func(s *ClusterSpec) { s.Network.PublicPorts = []int{443, 6443} }, []string{"FieldValueForbidden::network.publicPorts[1]"}},
		{"etcd ports listed in publicPorts", func(s *ClusterSpec) { s.Network.PublicPorts = []int{2379, 2380} }, []string{
			"FieldValueForbidden::network.publicPorts[0]", "FieldValueForbidden::network.publicPorts[1]"}},
		{"kubelet port listed in publicPorts", func(s *ClusterSpec) { s.Network.PublicPorts = []int{80, 10250} }, []string{"FieldValueForbidden::network.publicPorts[1]"}},
		{"kubelet read-only port listed in publicPorts", func(s *ClusterSpec) { s.Network.PublicPorts = []int{10255} }, []string{"FieldValueForbidden::network.publicPorts[0]"}},
		{"flannel VXLAN port listed in publicPorts", func(s *ClusterSpec) { s.Network.PublicPorts = []int{8472} }, []string{"FieldValueForbidden::network.publicPorts[0]"}},
		{"public port out of range", func(s *ClusterSpec) { s.Network.PublicPorts = []int{0, 70000} }, []string{
			"FieldValueInvalid::network.publicPorts[0]", "FieldValueInvalid::network.publicPorts[1]"}},
		{"internal ingress on the external pool", func(s *ClusterSpec) { s.Ingress.Internal.Pool = "external" }, []string{"FieldValueForbidden::ingress.internal.pool"}},
		{"prod with hardening profile none", func(s *ClusterSpec) { s.Environment = "prod"; s.Hardening.Profile = "none" }, []string{"FieldValueForbidden::hardening.profile"}},
		{"prod with sshd hardening off", func(s *ClusterSpec) { s.Environment = "prod"; s.Hardening.SSHD = boolPtr(false) }, []string{"FieldValueForbidden::hardening.sshd"}},
		{"prod with auditd and sysctls off", func(s *ClusterSpec) {
			s.Environment = "production"
			s.Hardening.Auditd, s.Hardening.Sysctls = boolPtr(false), boolPtr(false)
		}, []string{"FieldValueForbidden::hardening.auditd", "FieldValueForbidden::hardening.sysctls"}},
		{"prod with Falco off", func(s *ClusterSpec) {
			s.Environment = "prod"
			s.Falco.Enabled, s.Responder.Enabled = boolPtr(false), boolPtr(false)
		}, []string{"FieldValueForbidden::falco.enabled"}},
		{"prod with the responder off and no Falco output", func(s *ClusterSpec) { s.Environment = "prod"; s.Responder.Enabled = boolPtr(false) }, []string{"FieldValueForbidden::responder.enabled"}},
		{"prod with unpinned host keys", func(s *ClusterSpec) { s.Environment = "PROD"; s.SSH.AllowUnpinnedHostKeys = true }, []string{"FieldValueForbidden::ssh.allowUnpinnedHostKeys"}},
		{"prod without checksum verification", func(s *ClusterSpec) { s.Environment = "prod"; s.K3s.VerifyChecksum = boolPtr(false) }, []string{"FieldValueForbidden::k3s.verifyChecksum"}},
		{"unknown hardening profile", func(s *ClusterSpec) { s.Hardening.Profile = "strict" }, []string{"FieldValueNotSupported::hardening.profile"}},
		{"unknown SELinux mode", func(s *ClusterSpec) { s.Hardening.SELinux = "disabled" }, []string{"FieldValueNotSupported::hardening.selinux"}},
		{"unknown PSA level", func(s *ClusterSpec) { s.PodSecurity.Enforce = "strict" }, []string{"FieldValueNotSupported::podSecurity.enforce"}},
		{"unknown falco mode", func(s *ClusterSpec) { s.Falco.Mode = "sidecar" }, []string{"FieldValueNotSupported::falco.mode"}},
		{"responder port privileged", func(s *ClusterSpec) { s.Responder.Port = 80 }, []string{"FieldValueInvalid::responder.port"}},
		{"responder allow-namespace not a name", func(s *ClusterSpec) { s.Responder.AllowNamespaces = []string{"Kube_System"} }, []string{"FieldValueInvalid::responder.allowNamespaces[0]"}},
		{"ingress replicas zero", func(s *ClusterSpec) { s.Ingress.External.Replicas = -1 }, []string{"FieldValueInvalid::ingress.external.replicas"}},
		// Node identity.
		{"two nodes on one SSH endpoint", func(s *ClusterSpec) { s.Nodes[1].SSH.Host = "192.168.122.11" }, []string{"FieldValueDuplicate::nodes[1].ssh.host"}},
		{"two nodes on one SSH endpoint by name case", func(s *ClusterSpec) {
			s.Nodes[0].SSH.Host, s.Nodes[1].SSH.Host = "jump.example", "JUMP.example"
		}, []string{"FieldValueDuplicate::nodes[1].ssh.host"}},
		{"duplicate external addresses", func(s *ClusterSpec) { s.Nodes[3].ExternalAddress = "192.168.1.11" }, []string{"FieldValueDuplicate::nodes[3].externalAddress"}},
		{"three nodes one name", func(s *ClusterSpec) { s.Nodes[2].Name, s.Nodes[3].Name = "s1", "s1" }, []string{
			"FieldValueDuplicate::nodes[2].name", "FieldValueDuplicate::nodes[3].name"}},
		{"unknown ingress implementation", func(s *ClusterSpec) { s.Ingress.Implementation = "haproxy" }, []string{"FieldValueNotSupported::ingress.implementation"}},
		{"traefik on k3s 1.29", func(s *ClusterSpec) { s.Ingress.Implementation, s.K3s.Version = "traefik", "v1.29.15+k3s1" }, []string{"FieldValueForbidden::ingress.implementation"}},
		{"traefik on the PSP path", func(s *ClusterSpec) { s.Ingress.Implementation, s.K3s.Version = "traefik", "v1.24.17+k3s1" }, []string{"FieldValueForbidden::ingress.implementation"}},
	}
	if len(cases) < 90 {
		t.Fatalf("want at least 90 invalid configs, have %d", len(cases))
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := validSpec()
			tc.mutate(s)
			s.ApplyDefaults("test")
			got := errorSet(s.Validate())
			want := append([]string(nil), tc.want...)
			sort.Strings(want)
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("errors:\n got %v\nwant %v\nfull: %v", got, want, s.Validate().Err())
			}
		})
	}
}

// A new stack starts on the newest stable k3s; a production stack must pin
// its version, so a newer program never upgrades its cluster.
func TestDefaults_K3sVersionNewestUnlessProduction(t *testing.T) {
	s := validSpec()
	s.K3s.Version = ""
	s.ApplyDefaults("test")
	if s.K3s.Version != NewestK3s {
		t.Errorf("k3s.version defaulted to %q, want %s", s.K3s.Version, NewestK3s)
	}
	if v := s.Validate(); len(v.Errors) > 0 {
		t.Errorf("defaulted spec rejected: %v", v.Err())
	}

	s = validSpec()
	s.K3s.Version = ""
	s.ApplyDefaults("prod")
	v := s.Validate()
	var found bool
	for _, e := range v.Errors {
		if e.Field == "k3s.version" {
			found = true
			if !strings.Contains(e.Error(), "production stack pins") || !strings.Contains(e.Error(), NewestK3s) {
				t.Errorf("prod k3s.version error does not say why and what to pin: %v", e)
			}
		}
	}
	if !found {
		t.Errorf("prod stack without k3s.version accepted: %v", v.Err())
	}
}

// Traefik is accepted where it runs, defaults its class names, and the
// refusal names the key and both ways out.
func TestValidate_IngressImplementation(t *testing.T) {
	s := validSpec()
	s.Ingress.Implementation = "traefik"
	s.ApplyDefaults("test")
	if v := s.Validate(); len(v.Errors) > 0 {
		t.Fatalf("traefik on 1.34 rejected: %v", v.Err())
	}
	if s.Ingress.External.ClassName != "traefik" || s.Ingress.Internal.ClassName != "traefik-internal" {
		t.Errorf("classes %s / %s", s.Ingress.External.ClassName, s.Ingress.Internal.ClassName)
	}
	d := validSpec()
	d.ApplyDefaults("test")
	if d.Ingress.Implementation != "ingress-nginx" || d.Ingress.External.ClassName != "nginx" {
		t.Errorf("default %s / %s", d.Ingress.Implementation, d.Ingress.External.ClassName)
	}
	old := validSpec()
	old.Ingress.Implementation, old.K3s.Version = "traefik", "v1.24.17+k3s1"
	old.ApplyDefaults("test")
	msg := old.Validate().Err().Error()
	for _, want := range []string{"ingress.implementation", "podSecurity.mode psp", "use ingress-nginx", "k3s >= v1.30"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q lacks %q", msg, want)
		}
	}
}

func TestValidate_ReportsEveryErrorAtOnce(t *testing.T) {
	s := validSpec()
	s.Nodes[0].InternalAddress = "bad"
	s.VIP.Address = ""
	s.K3s.Version = "latest"
	s.ApplyDefaults("test")
	v := s.Validate()
	if len(v.Errors) != 3 {
		t.Fatalf("want 3 errors reported together, got %d: %v", len(v.Errors), v.Err())
	}
	msg := v.Err().Error()
	for _, key := range []string{"nodes[0].internalAddress", "vip.address", "k3s.version"} {
		if !strings.Contains(msg, key) {
			t.Errorf("message does not name %s:\n%s", key, msg)
		}
	}
}

func TestValidate_OddServerMessageSaysHowToFix(t *testing.T) {
	s := validSpec()
	s.Nodes[2].Role = RoleAgent
	s.ApplyDefaults("test")
	msg := s.Validate().Err().Error()
	want := "nodes[1].role: Invalid value: \"server\": a cluster needs an odd number of servers for etcd quorum (got 2); use 1 or 3"
	if !strings.Contains(msg, want) {
		t.Fatalf("message:\n%s\nwant it to contain:\n%s", msg, want)
	}
}

func TestValidate_SingleServerWarns(t *testing.T) {
	s := validSpec()
	s.Nodes = s.Nodes[:1]
	s.ApplyDefaults("test")
	v := s.Validate()
	if len(v.Errors) != 0 || len(v.Warnings) != 1 {
		t.Fatalf("single server: want 0 errors and 1 warning, got %v / %v", v.Err(), v.Warnings)
	}
}

func TestDecode_UnknownKeysAndFieldsAreErrors(t *testing.T) {
	_, v := Decode("dev", map[string]string{"nodez": "[]"})
	if got := errorSet(v); !contains(got, "FieldValueInvalid::nodez") || !strings.Contains(v.Err().Error(), "did you mean nodes?") {
		t.Fatalf("unknown key: got %v", v.Err())
	}
	_, v = Decode("dev", map[string]string{"vip": `{"adress": "10.0.0.1"}`})
	if got := errorSet(v); !contains(got, "FieldValueInvalid::vip.adress") || !contains(got, "FieldValueRequired::vip.address") {
		t.Fatalf("unknown field: got %v", v.Err())
	}
}

func TestStackFiles_DevAndProdAreValid(t *testing.T) {
	for _, stack := range []string{"dev", "prod"} {
		sf, err := ReadStackFile("../Pulumi." + stack + ".yaml")
		if err != nil {
			t.Fatal(err)
		}
		sf.Raw[KeySSHPrivateKey] = Placeholder
		sf.Raw[KeyFalcoOutputURLs] = `{"slack": "https://hooks.invalid/x"}`
		spec, v := Decode(stack, sf.Raw)
		if err := v.Err(); err != nil {
			t.Errorf("%s: %v", stack, err)
		}
		if stack == "prod" && (len(spec.Servers()) != 3 || len(spec.Agents()) != 3) {
			t.Errorf("prod: want 3 servers + 3 agents, got %d + %d", len(spec.Servers()), len(spec.Agents()))
		}
	}
}
