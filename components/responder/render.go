package responder

import (
	"embed"
	"fmt"
	"strconv"

	"sigs.k8s.io/yaml"

	core "k3s-onprem/internal/responder"
	"k3s-onprem/internal/tmpl"
)

//go:embed templates/*.tmpl scripts/*.sh
var files embed.FS

// Paths on the servers.
const (
	BinaryPath    = "/usr/local/bin/k3s-onprem-responder"
	ConfigDir     = "/etc/k3s-onprem/responder"
	ConfigPath    = ConfigDir + "/config.yaml"
	CredentialDir = ConfigDir + "/credentials"
	UnitName      = "k3s-onprem-responder.service"
	UnitPath      = "/etc/systemd/system/" + UnitName
	// PolicyName is the firewalld policy (its file name). firewalld
	// refuses names longer than 18 characters (max_policy_name_len in
	// src/firewall/functions.py: the iptables chain length less its
	// prefixes; "INVALID_NAME ... max is 18" from Debian bookworm's
	// firewalld, found by TestLab_ResponderService).
	PolicyName     = "k3s-responder"
	PolicyPath     = "/etc/firewalld/policies/" + PolicyName + ".xml"
	localAPIServer = "https://127.0.0.1:6443"
	// ServiceUser runs the responder. A static system user (sysusers.d),
	// so the token file can be given to it; the unit keeps DynamicUser's
	// sandbox (systemd uses an existing user of that name).
	ServiceUser  = "k3s-onprem-responder"
	SysusersPath = "/usr/lib/sysusers.d/k3s-onprem-responder.conf"
	// The ServiceAccount token: minted by root through the TokenRequest
	// API, bound to the ServiceAccount and expiring after TokenLifetime,
	// refreshed every TokenRefresh by a timer; client-go re-reads the file.
	TokenDir        = "/var/lib/k3s-onprem/responder"
	TokenPath       = TokenDir + "/token"
	TokenScriptPath = "/usr/local/lib/k3s-onprem/responder-token.sh"
	TokenUnitName   = "k3s-onprem-responder-token.service"
	TokenUnitPath   = "/etc/systemd/system/" + TokenUnitName
	TokenTimerName  = "k3s-onprem-responder-token.timer"
	TokenTimerPath  = "/etc/systemd/system/" + TokenTimerName
	TokenLifetime   = "1h"
	TokenRefresh    = "15min"
	k3sBinary       = "/usr/local/bin/k3s"
	adminKubeconfig = "/etc/rancher/k3s/k3s.yaml"
	// fdHeadroom is the descriptors beyond connections.max: the API
	// client's connections, the listener, credential and log files.
	fdHeadroom = 256
	// UploadName is the binary's upload in the step directory
	// ("$STEP_DIR/upload-responder" on the host).
	UploadName = "responder"
)

// credentials are the files systemd hands the unit (LoadCredential).
var credentials = []string{"kubeconfig", "secret", "tls.crt", "tls.key"}

// ConfigInput is what the responder's configuration file is built from.
type ConfigInput struct {
	// Namespace is where the responder's ServiceAccount lives (protected).
	Namespace string
	// ProtectedNamespaces are the other namespaces the program creates for
	// itself (never acted on; see Args.ProtectedNamespaces).
	ProtectedNamespaces []string
	// AllowNamespaces are never acted on, besides the system namespaces.
	AllowNamespaces []string
}

// RenderConfig is the embedded default configuration with the stack's
// allow-list and namespace. The result is parsed back, so a file the
// responder would refuse never reaches a host.
func RenderConfig(in ConfigInput) ([]byte, error) {
	c := core.DefaultConfig()
	c.OwnNamespace = in.Namespace
	c.ProtectedNamespacesExtra = append([]string{}, in.ProtectedNamespaces...)
	c.Allow.Namespaces = append([]string{}, in.AllowNamespaces...)
	b, err := yaml.Marshal(c)
	if err != nil {
		return nil, err
	}
	if _, err := core.ParseConfig(b); err != nil {
		return nil, fmt.Errorf("rendered responder config is invalid: %w", err)
	}
	return append([]byte("# Managed by k3s-onprem; reference: internal/responder/default.yaml.\n"), b...), nil
}

// UnitInput is what the systemd unit is rendered from.
type UnitInput struct {
	Port int
	// MaxConnections is the configuration's connections.max; the file
	// limit is derived from it.
	MaxConnections int
}

// LimitNOFILE is the unit's file limit for a connection cap: every
// connection is one descriptor, plus fdHeadroom.
func LimitNOFILE(maxConnections int) int { return maxConnections + fdHeadroom }

// RenderUnit renders the hardened systemd unit.
func RenderUnit(in UnitInput) ([]byte, error) {
	if in.MaxConnections <= 0 {
		return nil, fmt.Errorf("unit: connections.max %d must be positive", in.MaxConnections)
	}
	return execute("responder.service.tmpl", map[string]any{
		"Binary":        BinaryPath,
		"ConfigPath":    ConfigPath,
		"Listen":        ":" + strconv.Itoa(in.Port),
		"Credentials":   credentials,
		"CredentialDir": CredentialDir,
		"User":          ServiceUser,
		"TokenUnit":     TokenUnitName,
		"TokenTimer":    TokenTimerName,
		// Measured RSS is ~20 MiB; the cap stops a decoder bug from
		// starving the k3s server beside it.
		"MemoryMax":   "128M",
		"LimitNOFILE": LimitNOFILE(in.MaxConnections),
	})
}

// TokenInput is what the token refresher is rendered from.
type TokenInput struct {
	Namespace string
}

// RenderToken renders the token refresher: its script, oneshot unit,
// timer, and the sysusers.d entry of the user that may read the token.
func RenderToken(in TokenInput) (script, unit, timer, sysusers []byte, err error) {
	data := map[string]any{
		"K3s": k3sBinary, "AdminKubeconfig": adminKubeconfig, "Namespace": in.Namespace,
		"ServiceAccount": ServiceAccount, "Lifetime": TokenLifetime, "Refresh": TokenRefresh,
		"TokenDir": TokenDir, "TokenPath": TokenPath, "User": ServiceUser, "Script": TokenScriptPath,
		"TokenUnit": TokenUnitName,
	}
	if script, err = execute("responder-token.sh.tmpl", data); err != nil {
		return
	}
	if unit, err = execute("responder-token.service.tmpl", data); err != nil {
		return
	}
	if timer, err = execute("responder-token.timer.tmpl", data); err != nil {
		return
	}
	sysusers, err = execute("responder.sysusers.conf.tmpl", data)
	return
}

// RenderFirewallPolicy opens the responder port from the internal zone.
func RenderFirewallPolicy(port int) ([]byte, error) {
	return execute("firewalld-policy.xml.tmpl", map[string]any{"Port": port, "Name": PolicyName})
}

var templates = tmpl.Must(files, "templates/*.tmpl")

func execute(name string, data any) ([]byte, error) { return templates.Execute(name, data) }
