package k3s

// Paths on the hosts. The policy files live where the k3s hardening guide
// puts them (under the server data dir, which k3s itself keeps 0700).
const (
	BinaryPath        = "/usr/local/bin/k3s"
	ConfigPath        = "/etc/rancher/k3s/config.yaml"
	SELinuxDropInPath = "/etc/rancher/k3s/config.yaml.d/50-selinux.yaml"
	// TokenPath and AgentTokenPath hold the join secrets (0600, written
	// from stdin); config.yaml only names them.
	TokenPath      = "/etc/rancher/k3s/cluster-token"
	AgentTokenPath = "/etc/rancher/k3s/agent-token"
	KubeconfigPath = "/etc/rancher/k3s/k3s.yaml"
	// AdmissionConfigPath holds the AdmissionConfiguration (Pod Security
	// and EventRateLimit) for k3s >= 1.25.
	AdmissionConfigPath = "/var/lib/rancher/k3s/server/psa.yaml"
	AuditPolicyPath     = "/var/lib/rancher/k3s/server/audit.yaml"
	AuditLogPath        = "/var/lib/rancher/k3s/server/logs/audit.log"
	ServerUnitPath      = "/etc/systemd/system/k3s.service"
	AgentUnitPath       = "/etc/systemd/system/k3s-agent.service"
	// AgentDataDir exists once k3s ran on a node (servers run an agent too).
	AgentDataDir = "/var/lib/rancher/k3s/agent"
	// AirgapImagesDir is where k3s imports image tarballs from at start.
	AirgapImagesDir = "/var/lib/rancher/k3s/agent/images"
	// APIPort is the supervisor and API server port (servers and VIP).
	APIPort = 6443
)
