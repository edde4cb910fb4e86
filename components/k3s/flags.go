package k3s

import (
	"strconv"
	"strings"
)

// TLSCipherSuites is the k3s hardening guide's list: ECDHE key exchange only
// (forward secrecy) with AEAD ciphers. The blog also allowed
// TLS_RSA_WITH_AES_*_GCM_*, which have no forward secrecy; they are dropped.
var TLSCipherSuites = []string{
	"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
	"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
	"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
	"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
	"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305",
	"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305",
}

// TLSMinVersion is set on the API server and every kubelet (CIS 1.2.x/4.2.x).
const TLSMinVersion = "VersionTLS12"

// Audit log rotation: the hardening guide's values (the blog kept 30 backups
// of 30 MB, which is less history in bigger clusters).
const (
	AuditLogMaxAge    = 30
	AuditLogMaxBackup = 10
	AuditLogMaxSize   = 100
)

// apiServerArgs is the kube-apiserver-arg list for a server. Only what k3s
// does not already do is set: anonymous-auth=false, profiling=false,
// Node,RBAC authorization, service-account-lookup and the encryption
// provider config are k3s defaults, and duplicating them would only hide
// which settings are ours.
func apiServerArgs(minor int) []string {
	var args []string
	if minor <= 24 {
		// PodSecurityPolicy still exists: the cluster layer creates the
		// PSPs, and this plugin enforces them (the older hardening guide's
		// list). Pod Security Admission is only beta here and stays off.
		args = append(args, "enable-admission-plugins=NodeRestriction,PodSecurityPolicy,NamespaceLifecycle,ServiceAccount")
	} else {
		// EventRateLimit (CIS 1.2.9) reads its limits from the admission
		// config file, next to the Pod Security defaults.
		args = append(args,
			"enable-admission-plugins=NodeRestriction,EventRateLimit",
			"admission-control-config-file="+AdmissionConfigPath,
		)
	}
	args = append(args,
		"audit-policy-file="+AuditPolicyPath,
		"audit-log-path="+AuditLogPath,
		"audit-log-maxage="+itoa(AuditLogMaxAge),
		"audit-log-maxbackup="+itoa(AuditLogMaxBackup),
		"audit-log-maxsize="+itoa(AuditLogMaxSize),
	)
	if minor >= 29 {
		// Service-account tokens stop being silently extended to a year
		// (the flag exists from 1.29 in the hardening guide's profile).
		args = append(args, "service-account-extend-token-expiration=false")
	}
	return append(args,
		"tls-min-version="+TLSMinVersion,
		"tls-cipher-suites="+strings.Join(TLSCipherSuites, ","),
	)
}

// controllerManagerArgs is the kube-controller-manager-arg list.
// terminated-pod-gc-threshold follows the hardening guide per version
// (10 up to 1.28, 100 from 1.29, k3s-io/docs#497; the guide's 1.29+ set
// still holds for 1.36, see README.md).
func controllerManagerArgs(minor int) []string {
	threshold := 10
	if minor >= 29 {
		threshold = 100
	}
	return []string{"terminated-pod-gc-threshold=" + itoa(threshold)}
}

// kubeletArgs is the kubelet-arg list for every node (servers run a kubelet too).
func kubeletArgs() []string {
	return []string{
		"streaming-connection-idle-timeout=5m",
		"tls-min-version=" + TLSMinVersion,
		"tls-cipher-suites=" + strings.Join(TLSCipherSuites, ","),
	}
}

// kubeProxyArgs:
//   - the conntrack values 0 mean "leave the kernel's setting": k3s and
//     kube-proxy do not write nf_conntrack_max and the two TCP timeouts
//     (added when the unit made /proc/sys read-only; the unit no longer
//     does, see README.md "Unit sandboxing");
//   - nodeport-addresses limited to the internal network means no NodePort
//     on 127.0.0.1, so kube-proxy does not need route_localnet=1 (which is
//     also the CVE-2020-8558 exposure).
func kubeProxyArgs(internalCIDR string) []string {
	return []string{
		"conntrack-max-per-core=0",
		"conntrack-tcp-timeout-established=0s",
		"conntrack-tcp-timeout-close-wait=0s",
		"nodeport-addresses=" + internalCIDR,
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
