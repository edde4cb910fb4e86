package k3s

import (
	"fmt"
	"net/netip"
	"sort"

	"sigs.k8s.io/yaml"

	"k3s-onprem/internal/hoststep"
	"k3s-onprem/internal/namespaces"
)

// Config is /etc/rancher/k3s/config.yaml: one field per k3s flag (the key
// is the flag name without dashes). It is marshalled, never concatenated,
// so a value can not inject another key.
type Config struct {
	NodeName         string `json:"node-name,omitempty"`
	NodeIP           string `json:"node-ip,omitempty"`
	AdvertiseAddress string `json:"advertise-address,omitempty"`
	FlannelIface     string `json:"flannel-iface,omitempty"`
	// ClusterInit starts embedded etcd on the first server (also when it is
	// the only one, so the cluster can grow to HA later).
	ClusterInit bool `json:"cluster-init,omitempty"`
	// Server is the URL to join: the first server for servers, the VIP for agents.
	Server string `json:"server,omitempty"`
	// TokenFile and AgentTokenFile name the secrets; their content never
	// appears in this file, a unit, an environment or a command line.
	TokenFile             string   `json:"token-file,omitempty"`
	AgentTokenFile        string   `json:"agent-token-file,omitempty"`
	ClusterCIDR           string   `json:"cluster-cidr,omitempty"`
	ServiceCIDR           string   `json:"service-cidr,omitempty"`
	TLSSAN                []string `json:"tls-san,omitempty"`
	Disable               []string `json:"disable,omitempty"`
	NodeTaint             []string `json:"node-taint,omitempty"`
	WriteKubeconfigMode   string   `json:"write-kubeconfig-mode,omitempty"`
	ProtectKernelDefaults bool     `json:"protect-kernel-defaults,omitempty"`
	// SecretsEncryption lets k3s manage the key, so `k3s secrets-encrypt
	// rotate-keys` keeps working (a hand-written provider file would not).
	SecretsEncryption        bool     `json:"secrets-encryption,omitempty"`
	KubeAPIServerArg         []string `json:"kube-apiserver-arg,omitempty"`
	KubeControllerManagerArg []string `json:"kube-controller-manager-arg,omitempty"`
	KubeletArg               []string `json:"kubelet-arg,omitempty"`
	KubeProxyArg             []string `json:"kube-proxy-arg,omitempty"`
	SELinux                  bool     `json:"selinux,omitempty"`
	// EtcdSnapshotFlags are the etcd-snapshot keys (servers; snapshots.go).
	EtcdSnapshotFlags
}

// ClusterConfig is what every node's k3s configuration shares.
type ClusterConfig struct {
	// Version is the pinned k3s release tag (v1.34.4+k3s1).
	Version string
	// InternalCIDR is the node network; NodePorts listen only there.
	InternalCIDR string
	ClusterCIDR  string
	ServiceCIDR  string
	// VIP is the keepalived address in front of the servers.
	VIP string
	// ExtraTLSSANs are further names or addresses for the API certificate.
	ExtraTLSSANs []string
	// HasAgents taints the servers so workloads run on agents.
	HasAgents bool
	// SELinux renders the selinux drop-in (installed only on hosts where
	// SELinux is enabled; see RenderSELinuxDropIn).
	SELinux bool
	// PodSecurity is the Pod Security Admission setup (k3s >= 1.25).
	PodSecurity PodSecurity
	// Extra kube-apiserver arguments and the server files they reference
	// (each naming its renderer; placed 0600 like the k3s ones), from other
	// components: the audit webhook to Falco. Kept generic so k3s does not
	// depend on those components.
	ExtraAPIServerArgs []string
	ExtraServerFiles   []hoststep.File
	// EtcdSnapshots are k3s's scheduled etcd snapshots (nil: k3s defaults).
	EtcdSnapshots *EtcdSnapshots
}

// PodSecurity is the cluster-wide Pod Security Admission default.
type PodSecurity struct {
	// Enforce is the default enforce level (restricted unless configured).
	Enforce string
	// Exemptions are namespaces exempt besides kube-system, each with why.
	Exemptions []Exemption
}

// Exemption is a namespace exempt from Pod Security Admission.
type Exemption = namespaces.Exemption

// Role of a node.
const (
	RoleServer = "server"
	RoleAgent  = "agent"
)

// NodeConfig is the per-node part of the k3s configuration.
type NodeConfig struct {
	Name              string
	Role              string
	InternalAddress   string
	InternalInterface string
	// JoinAddress is the first server's internal address for a joining
	// server; empty for the first server, which runs cluster-init. Agents
	// always join through the VIP.
	JoinAddress string
}

// RenderConfig renders config.yaml for one node.
func RenderConfig(c ClusterConfig, n NodeConfig) ([]byte, error) {
	cfg, err := BuildConfig(c, n)
	if err != nil {
		return nil, err
	}
	b, err := yaml.Marshal(cfg)
	if err != nil {
		return nil, fmt.Errorf("render %s for %s: %w", ConfigPath, n.Name, err)
	}
	return append([]byte("# Managed by k3s-onprem; changes here are overwritten.\n"), b...), nil
}

// BuildConfig returns the typed config for one node.
func BuildConfig(c ClusterConfig, n NodeConfig) (*Config, error) {
	minor, err := Minor(c.Version)
	if err != nil {
		return nil, err
	}
	if _, err := netip.ParseAddr(n.InternalAddress); err != nil {
		return nil, fmt.Errorf("node %s: internal address %q: %w", n.Name, n.InternalAddress, err)
	}
	cfg := &Config{
		NodeName:              n.Name,
		NodeIP:                n.InternalAddress,
		FlannelIface:          n.InternalInterface,
		ProtectKernelDefaults: true,
		KubeletArg:            kubeletArgs(),
		KubeProxyArg:          kubeProxyArgs(c.InternalCIDR),
	}
	switch n.Role {
	case RoleServer:
		cfg.AdvertiseAddress = n.InternalAddress
		if n.JoinAddress == "" {
			cfg.ClusterInit = true
		} else {
			cfg.Server = apiURL(n.JoinAddress)
		}
		cfg.TokenFile = TokenPath
		cfg.AgentTokenFile = AgentTokenPath
		cfg.ClusterCIDR = c.ClusterCIDR
		cfg.ServiceCIDR = c.ServiceCIDR
		cfg.TLSSAN = tlsSANs(c)
		// MetalLB and ingress-nginx replace both bundled components.
		cfg.Disable = []string{"traefik", "servicelb"}
		if c.HasAgents {
			cfg.NodeTaint = []string{"CriticalAddonsOnly=true:NoExecute"}
		}
		cfg.WriteKubeconfigMode = "0600"
		cfg.SecretsEncryption = true
		cfg.KubeAPIServerArg = append(apiServerArgs(minor), c.ExtraAPIServerArgs...)
		cfg.KubeControllerManagerArg = controllerManagerArgs(minor)
		cfg.EtcdSnapshotFlags = etcdSnapshotFlags(c.EtcdSnapshots)
	case RoleAgent:
		cfg.Server = apiURL(c.VIP)
		cfg.TokenFile = AgentTokenPath
	default:
		return nil, fmt.Errorf("node %s: role %q: want server or agent", n.Name, n.Role)
	}
	return cfg, nil
}

// tlsSANs puts the VIP first, then the extra names, without duplicates.
func tlsSANs(c ClusterConfig) []string {
	seen := map[string]bool{c.VIP: true}
	extra := []string{}
	for _, s := range c.ExtraTLSSANs {
		if !seen[s] {
			seen[s] = true
			extra = append(extra, s)
		}
	}
	sort.Strings(extra)
	return append([]string{c.VIP}, extra...)
}

func apiURL(addr string) string { return fmt.Sprintf("https://%s:%d", addr, APIPort) }

// RenderSELinuxDropIn renders the config.yaml.d drop-in that turns on
// k3s's SELinux support. It is a separate file because config.yaml must be
// the same rendered text on every host, while --selinux only works where
// SELinux is enabled: the k3s-selinux step installs the drop-in on such
// hosts and removes it elsewhere (Debian without SELinux).
func RenderSELinuxDropIn() ([]byte, error) {
	b, err := yaml.Marshal(Config{SELinux: true})
	if err != nil {
		return nil, err
	}
	return append([]byte("# Managed by k3s-onprem: only on hosts with SELinux enabled.\n"), b...), nil
}
