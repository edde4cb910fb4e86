// Package stacks holds the typed stack configuration (ClusterSpec), its
// defaults and validation, and Deploy, which wires the components together.
package stacks

// Roles a node can have.
const (
	RoleServer = "server"
	RoleAgent  = "agent"
)

// ClusterSpec is the whole stack configuration. Each field is one top-level
// Pulumi config key (lowerCamelCase, documented in Pulumi.yaml); validation
// errors name the key path, e.g. `nodes[2].internalAddress`.
type ClusterSpec struct {
	// Name prefixes cluster-wide resources; defaults to the stack name.
	ClusterName string `json:"clusterName,omitempty"`
	// Environment marks the stack's kind (dev, staging, prod); the policy
	// pack refuses to disable policies on prod.
	Environment  string       `json:"environment,omitempty"`
	Nodes        []Node       `json:"nodes"`
	SSH          SSH          `json:"ssh"`
	Network      Network      `json:"network"`
	K3s          K3s          `json:"k3s"`
	VIP          VIP          `json:"vip"`
	LoadBalancer LoadBalancer `json:"loadBalancer"`
	Ingress      Ingress      `json:"ingress"`
	PodSecurity  PodSecurity  `json:"podSecurity"`
	Falco        Falco        `json:"falco"`
	Responder    Responder    `json:"responder"`
	Hardening    Hardening    `json:"hardening"`
	// CIS runs kube-bench after the cluster is up (components/cis).
	CIS CIS `json:"cis"`
	// Backup is etcd snapshots and their off-host copy (spec_backup.go).
	Backup Backup `json:"backup,omitempty"`
	// Rotation holds generation counters; raising one rotates that secret.
	Rotation Rotation `json:"rotation"`
	// Charts is where the Helm charts come from (mirror or archives).
	Charts Charts `json:"charts"`
	// StopAfter, when set, is the last deployment phase the program
	// registers (hosts, vip, k3s, cluster, responder, falco): stage hardened
	// hosts and the VIP before installing k3s. Lowering it on a running
	// cluster removes the later phases' resources (preview shows them).
	StopAfter string `json:"stopAfter,omitempty"`

	// Stack is the Pulumi stack name (set by ApplyDefaults).
	Stack string `json:"-"`

	// Secrets records which secret config keys are set (their values never
	// enter the spec; they stay Pulumi secrets).
	Secrets SecretPresence `json:"-"`
}

// SecretPresence says which secret config keys exist, for validation.
type SecretPresence struct {
	SSHPrivateKey bool
	// FalcoOutputURLs holds the output types that have a URL in falcoOutputUrls.
	FalcoOutputURLs map[string]bool
	// BackupS3SecretKey: backupS3SecretKey is set.
	BackupS3SecretKey bool
}

// Node is one SSH-reachable Linux host.
type Node struct {
	Name string `json:"name"`
	// Role is "server" (control plane + embedded etcd) or "agent".
	Role string `json:"role"`
	// InternalAddress is the cluster-network IP: node-ip, etcd peer, SSH target.
	InternalAddress string `json:"internalAddress"`
	// InternalInterface carries cluster traffic (flannel, etcd, VRRP).
	InternalInterface string `json:"internalInterface,omitempty"`
	// ExternalAddress/ExternalInterface describe the optional public network
	// (the blog's two-network layout). Both or neither.
	ExternalAddress   string `json:"externalAddress,omitempty"`
	ExternalInterface string `json:"externalInterface,omitempty"`
	// Arch selects the k3s release asset: amd64 or arm64.
	Arch string `json:"arch,omitempty"`
	// SSH overrides the stack-wide SSH settings for this node.
	SSH NodeSSH `json:"ssh,omitempty"`
}

// NodeSSH is the per-node part of the SSH connection.
type NodeSSH struct {
	// Host to dial; defaults to InternalAddress.
	Host string `json:"host,omitempty"`
	Port int    `json:"port,omitempty"`
	User string `json:"user,omitempty"`
	// HostKey is the node's public host key in authorized_keys format
	// ("ssh-ed25519 AAAA..."); pinned on every connection.
	HostKey string `json:"hostKey,omitempty"`
	// Bastion, when set, is the jump host for this node (overrides ssh.bastion).
	Bastion *Bastion `json:"bastion,omitempty"`
}

// SSH holds stack-wide SSH defaults. The private key itself is the secret
// config key `sshPrivateKey` (or a file named by privateKeyPath).
type SSH struct {
	User string `json:"user,omitempty"`
	Port int    `json:"port,omitempty"`
	// PrivateKeyPath is read on the operator's machine and kept as a secret.
	PrivateKeyPath string `json:"privateKeyPath,omitempty"`
	// UseAgent authenticates through SSH_AUTH_SOCK instead of a key.
	UseAgent bool     `json:"useAgent,omitempty"`
	Bastion  *Bastion `json:"bastion,omitempty"`
	// AllowUnpinnedHostKeys accepts any host key. Only for throwaway labs;
	// the policy pack rejects it.
	AllowUnpinnedHostKeys bool `json:"allowUnpinnedHostKeys,omitempty"`
}

// Bastion is an SSH jump host.
type Bastion struct {
	Host    string `json:"host"`
	Port    int    `json:"port,omitempty"`
	User    string `json:"user,omitempty"`
	HostKey string `json:"hostKey,omitempty"`
}

// Network describes node, pod and service networks.
type Network struct {
	// InternalCIDR is the subnet of every node's internal address; the VIP lives in it.
	InternalCIDR string `json:"internalCidr"`
	// ExternalCIDR is the public subnet in the two-network layout.
	ExternalCIDR string `json:"externalCidr,omitempty"`
	ClusterCIDR  string `json:"clusterCidr,omitempty"`
	ServiceCIDR  string `json:"serviceCidr,omitempty"`
	// PublicPorts are opened in the public zone of two-network nodes (default 80, 443).
	PublicPorts []int `json:"publicPorts,omitempty"`
	// APIOnPublic also opens 6443/tcp in the public zone.
	APIOnPublic bool `json:"apiOnPublic,omitempty"`
	// FirewallBackendIptables switches firewalld to the iptables backend
	// (needs a firewalld restart; off by default on modern distributions).
	FirewallBackendIptables bool `json:"firewallBackendIptables,omitempty"`
}

// K3s pins the k3s release and cluster-wide k3s settings.
type K3s struct {
	// Version is a full release tag, e.g. v1.34.4+k3s1. Channels are rejected.
	Version string `json:"version"`
	// VerifyChecksum checks the binary against the release's sha256sum-<arch>.txt.
	VerifyChecksum *bool `json:"verifyChecksum,omitempty"`
	// Airgap copies the binary from the operator's machine instead of downloading it.
	Airgap *Airgap `json:"airgap,omitempty"`
	// ExtraTLSSANs are added to tls-san besides the VIP.
	ExtraTLSSANs []string `json:"extraTlsSans,omitempty"`
	// ReleaseURL is the base for downloads (mirror support); the version is appended.
	ReleaseURL string `json:"releaseUrl,omitempty"`
	// PreviousVersion is the release the cluster runs before this update;
	// when set, validation refuses a downgrade or a skipped minor. The
	// binary step enforces the same against the installed binary.
	PreviousVersion string `json:"previousVersion,omitempty"`
	// Upgrade bounds the disruption of a version or config change.
	Upgrade Upgrade `json:"upgrade,omitempty"`
}

// Upgrade controls how agents are rolled (servers always go one at a time
// behind the etcd health gate).
type Upgrade struct {
	// AgentBatch is how many agents restart at once (default 1).
	AgentBatch int `json:"agentBatch,omitempty"`
	// AgentBatchPercent sizes batches as a share of the agents instead
	// (rounded up, at least one); exclusive with AgentBatch.
	AgentBatchPercent int `json:"agentBatchPercent,omitempty"`
	// DrainTimeout bounds each agent's drain (Go duration, default 5m).
	DrainTimeout string `json:"drainTimeout,omitempty"`
}

// Airgap names local files to copy instead of downloading.
type Airgap struct {
	BinaryPath string `json:"binaryPath"`
	// BinarySHA256 is the expected checksum of the binary.
	BinarySHA256 string `json:"binarySha256"`
	ImagesPath   string `json:"imagesPath,omitempty"`
	ImagesSHA256 string `json:"imagesSha256,omitempty"`
}

// VIP is the virtual IP in front of the API servers, held by keepalived
// (VRRP, before k3s) or kube-vip (a static pod, leader election on a
// Lease through the local API server).
type VIP struct {
	Address string `json:"address"`
	// Implementation is "keepalived" (default) or "kube-vip".
	Implementation string `json:"implementation,omitempty"`
	// KubeVIP tunes kube-vip's leader election (kube-vip only).
	KubeVIP *KubeVIPSpec `json:"kubeVip,omitempty"`
	// Interface defaults to the servers' internal interface.
	Interface       string `json:"interface,omitempty"`
	VirtualRouterID int    `json:"virtualRouterId,omitempty"`
	// Unicast lists the peers explicitly (for networks without multicast).
	Unicast bool `json:"unicast,omitempty"`
}

// KubeVIPSpec is kube-vip's lease timing in seconds; zero takes kube-vip's
// default (15/10/2). A crashed holder is replaced after at most
// leaseDuration + 1.2 x retryPeriod.
type KubeVIPSpec struct {
	LeaseDuration int `json:"leaseDuration,omitempty"`
	RenewDeadline int `json:"renewDeadline,omitempty"`
	RetryPeriod   int `json:"retryPeriod,omitempty"`
}

// LoadBalancer configures MetalLB.
type LoadBalancer struct {
	Enabled *bool  `json:"enabled,omitempty"`
	Pools   []Pool `json:"pools,omitempty"`
}

// Pool is one MetalLB IPAddressPool advertised on one network.
type Pool struct {
	Name string `json:"name"`
	// Range is "first-last" or a CIDR.
	Range string `json:"range"`
	// Network is "internal" or "external": which node interface advertises it.
	Network string `json:"network"`
}

// Ingress configures the ingress controllers.
type Ingress struct {
	// Implementation is ingress-nginx (default; archived upstream) or
	// traefik (Gateway API).
	Implementation string            `json:"implementation,omitempty"`
	External       IngressController `json:"external,omitempty"`
	Internal       IngressController `json:"internal,omitempty"`
}

// IngressController is one controller release.
type IngressController struct {
	Enabled   *bool  `json:"enabled,omitempty"`
	ClassName string `json:"className,omitempty"`
	// Pool is the MetalLB pool name the controller's Service takes its IP from.
	Pool           string `json:"pool,omitempty"`
	LoadBalancerIP string `json:"loadBalancerIp,omitempty"`
	Replicas       int    `json:"replicas,omitempty"`
}

// PodSecurity selects PSA (k3s >= 1.25) or PSP (<= 1.24).
type PodSecurity struct {
	// Mode is "psa" or "psp"; defaults by k3s version.
	Mode string `json:"mode,omitempty"`
	// Enforce is the cluster-wide PSA default level (restricted).
	Enforce string `json:"enforce,omitempty"`
	// ExemptNamespaces are exempt from PSA; each needs a reason.
	ExemptNamespaces []Exemption `json:"exemptNamespaces,omitempty"`
}

// Exemption is a namespace exempt from Pod Security, with why.
type Exemption struct {
	Namespace string `json:"namespace"`
	Reason    string `json:"reason"`
}

// Falco configures runtime detection.
type Falco struct {
	Enabled *bool `json:"enabled,omitempty"`
	// Mode is "host" (package on every node) or "daemonset" (Helm).
	Mode    string `json:"mode,omitempty"`
	Version string `json:"version,omitempty"`
	// Outputs are falcosidekick outputs; URLs come from the secret config key
	// `falcoOutputUrls` (a map from output name to URL).
	Outputs []FalcoOutput `json:"outputs,omitempty"`
}

// FalcoOutput is one falcosidekick output.
type FalcoOutput struct {
	// Type: slack, teams, mattermost, discord, alertmanager, webhook.
	Type        string `json:"type"`
	MinPriority string `json:"minPriority,omitempty"`
}

// Responder configures the pod-deleting Falco responder.
type Responder struct {
	Enabled *bool `json:"enabled,omitempty"`
	// AllowNamespaces are never acted on, besides the system namespaces.
	AllowNamespaces []string `json:"allowNamespaces,omitempty"`
	Port            int      `json:"port,omitempty"`
}

// Hardening holds the OS hardening switches (CIS distribution-independent profile).
type Hardening struct {
	// Profile "cis" turns every part on by default; "none" turns them off.
	Profile         string `json:"profile,omitempty"`
	SSHD            *bool  `json:"sshd,omitempty"`
	Auditd          *bool  `json:"auditd,omitempty"`
	ModuleBlacklist *bool  `json:"moduleBlacklist,omitempty"`
	Sysctls         *bool  `json:"sysctls,omitempty"`
	CoreDumps       *bool  `json:"coreDumps,omitempty"`
	FilePermissions *bool  `json:"filePermissions,omitempty"`
	// SELinux is "enforcing" (RHEL family) or "off".
	SELinux string `json:"selinux,omitempty"`
	// AllowReboot lets steps that need a reboot (firewalld backend) reboot the host.
	AllowReboot bool `json:"allowReboot,omitempty"`
	// PermitRootLogin for sshd: "no" (default) or "prohibit-password".
	PermitRootLogin string `json:"permitRootLogin,omitempty"`
}

// Rotation triggers credential rotation: each counter is a generation,
// and changing it (raise it by one) rotates that credential on the next
// `pulumi up`, rolling one server at a time where k3s restarts. 0 (the
// default) never rotated.
type Rotation struct {
	// SecretsEncryption rotates the secrets-encryption key
	// (k3s secrets-encrypt rotate-keys) and re-encrypts every Secret.
	SecretsEncryption int `json:"secretsEncryption,omitempty"`
	// Certificates renews k3s's client and serving certificates on every
	// node (k3s certificate rotate; the CA stays).
	Certificates int `json:"certificates,omitempty"`
	// VIPPassword replaces keepalived's VRRP password.
	VIPPassword int `json:"vipPassword,omitempty"`
	// ResponderToken replaces the responder's bearer token.
	ResponderToken int `json:"responderToken,omitempty"`
	// ResponderTLS replaces the responder's serving key and certificate.
	ResponderTLS int `json:"responderTls,omitempty"`
	// ClusterToken replaces the k3s server token (k3s token rotate on the
	// first server, then each server restarts with it, one at a time).
	ClusterToken int `json:"clusterToken,omitempty"`
	// AgentToken replaces the agent join token (each server restarts with
	// it, one at a time, then the agents).
	AgentToken int `json:"agentToken,omitempty"`
}
