package cis

// Claim is a check the program makes pass by what it renders (beyond
// k3s's own defaults), and what that is. The README's cross-reference is
// generated from these; TestClaims_HoldForEveryMinor fails when the
// rendering stops satisfying one.
type Claim struct {
	ID string
	By string
}

// What makes the claims pass, named once.
const (
	byPermissions = "k3s-permissions step: chmod go= under /etc/rancher and /var/lib/rancher; k3s runs as root (unit User=root)"
	byAdmission   = "kube-apiserver-arg enable-admission-plugins (NodeRestriction kept, EventRateLimit added, no AlwaysAdmit)"
	byEventRate   = "kube-apiserver-arg enable-admission-plugins EventRateLimit + admission-control-config-file (psa.yaml)"
	byPSPList     = "kube-apiserver-arg enable-admission-plugins NodeRestriction,PodSecurityPolicy,NamespaceLifecycle,ServiceAccount"
	byAuditPath   = "kube-apiserver-arg audit-log-path"
	byAuditAge    = "kube-apiserver-arg audit-log-maxage=30"
	byAuditBackup = "kube-apiserver-arg audit-log-maxbackup=10"
	byAuditSize   = "kube-apiserver-arg audit-log-maxsize=100"
	byAuditPolicy = "kube-apiserver-arg audit-policy-file (audit.yaml)"
	byEncryption  = "config.yaml secrets-encryption: true (k3s's encryption-provider-config)"
	byEncProvider = "config.yaml secrets-encryption: true (k3s's aescbc provider)"
	byAPICiphers  = "kube-apiserver-arg tls-cipher-suites (ECDHE + AEAD only)"
	byGCThreshold = "kube-controller-manager-arg terminated-pod-gc-threshold"
	byStreaming   = "kubelet-arg streaming-connection-idle-timeout=5m"
	byKubeCiphers = "kubelet-arg tls-cipher-suites (ECDHE + AEAD only)"
)

func permissionClaims(ids ...string) []Claim {
	out := make([]Claim, len(ids))
	for i, id := range ids {
		out[i] = Claim{ID: id, By: byPermissions}
	}
	return out
}

var fileClaims = permissionClaims("1.1.11", "1.1.14", "1.1.15", "1.1.16", "1.1.17", "1.1.18", "1.1.19", "1.1.20", "1.1.21",
	"4.1.3", "4.1.4", "4.1.5", "4.1.6", "4.1.7", "4.1.8")

// Claims are the program's claims per benchmark (ids differ between
// benchmark versions: the audit log checks are 1.2.19-22 in k3s-cis-1.24
// and 1.2.16-19 in k3s-cis-1.9).
var Claims = map[string][]Claim{
	"k3s-cis-1.24": append(append([]Claim{}, fileClaims...),
		Claim{"1.2.3", byPSPList}, Claim{"1.2.11", byPSPList}, Claim{"1.2.13", byPSPList}, Claim{"1.2.16", byPSPList},
		Claim{"1.2.19", byAuditPath}, Claim{"1.2.20", byAuditAge}, Claim{"1.2.21", byAuditBackup}, Claim{"1.2.22", byAuditSize},
		Claim{"1.2.30", byEncryption}, Claim{"1.2.31", byEncProvider}, Claim{"1.2.32", byAPICiphers},
		Claim{"1.3.1", byGCThreshold}, Claim{"3.2.1", byAuditPolicy}, Claim{"4.2.5", byStreaming}, Claim{"4.2.13", byKubeCiphers}),
	"k3s-cis-1.7": append(append(permissionClaims("1.1.13"), fileClaims...),
		Claim{"1.2.3", byAdmission}, Claim{"1.2.9", byEventRate}, Claim{"1.2.10", byAdmission}, Claim{"1.2.15", byAdmission},
		Claim{"1.2.18", byAuditPath}, Claim{"1.2.19", byAuditAge}, Claim{"1.2.20", byAuditBackup}, Claim{"1.2.21", byAuditSize},
		Claim{"1.2.29", byEncryption}, Claim{"1.2.30", byEncProvider}, Claim{"1.2.31", byAPICiphers},
		Claim{"1.3.1", byGCThreshold}, Claim{"3.2.1", byAuditPolicy}, Claim{"4.2.5", byStreaming}, Claim{"4.2.12", byKubeCiphers}),
	"k3s-cis-1.8": append(append(permissionClaims("1.1.13"), fileClaims...),
		Claim{"1.2.3", byAdmission}, Claim{"1.2.9", byEventRate}, Claim{"1.2.10", byAdmission}, Claim{"1.2.15", byAdmission},
		Claim{"1.2.17", byAuditPath}, Claim{"1.2.18", byAuditAge}, Claim{"1.2.19", byAuditBackup}, Claim{"1.2.20", byAuditSize},
		Claim{"1.2.28", byEncryption}, Claim{"1.2.29", byEncProvider}, Claim{"1.2.30", byAPICiphers},
		Claim{"1.3.1", byGCThreshold}, Claim{"3.2.1", byAuditPolicy}, Claim{"4.2.5", byStreaming}, Claim{"4.2.12", byKubeCiphers}),
	"k3s-cis-1.9": append(append(permissionClaims("1.1.13"), fileClaims...),
		Claim{"1.2.9", byEventRate}, Claim{"1.2.10", byAdmission}, Claim{"1.2.14", byAdmission},
		Claim{"1.2.16", byAuditPath}, Claim{"1.2.17", byAuditAge}, Claim{"1.2.18", byAuditBackup}, Claim{"1.2.19", byAuditSize},
		Claim{"1.2.27", byEncryption}, Claim{"1.2.28", byEncProvider}, Claim{"1.2.29", byAPICiphers},
		Claim{"1.3.1", byGCThreshold}, Claim{"3.2.1", byAuditPolicy}, Claim{"4.2.5", byStreaming}, Claim{"4.2.12", byKubeCiphers}),
}
