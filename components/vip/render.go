// Package vip runs keepalived on the k3s servers so the API has one
// address (the VIP) that follows a healthy server.
package vip

import (
	"embed"
	"fmt"
	"net/netip"
	"regexp"

	"k3s-onprem/internal/grammar"
	"k3s-onprem/internal/tmpl"
)

//go:embed templates/*.tmpl
var templateFS embed.FS

var templates = tmpl.Must(templateFS, "templates/*.tmpl")

// Paths on the servers.
const (
	ConfPath = "/etc/keepalived/keepalived.conf"
	// ConfTemplatePath is the staged conf without the password; the step
	// writes ConfPath from it and the password on stdin.
	ConfTemplatePath = "/etc/keepalived/keepalived.conf.in"
	CheckScriptPath  = "/etc/keepalived/check-apiserver.sh"
	SysctlPath       = "/etc/sysctl.d/91-k3s-onprem-vip.conf"
	// DropInPath orders keepalived's stop (RenderDropIn).
	DropInPath = "/etc/systemd/system/keepalived.service.d/10-k3s-onprem.conf"
	// AuthPassPlaceholder stands for the password in the staged template.
	AuthPassPlaceholder = "@AUTH_PASS@"
	// AuthPassMaxLen is keepalived's limit: longer passwords are cut to 8.
	AuthPassMaxLen = 8
	// DefaultPriority is the first server's priority; each next server's
	// is PriorityStep lower (MemberPriority).
	DefaultPriority = 100
	// PriorityStep separates the servers' priorities. Equal priorities
	// give the backups equal master-down timers (skew (256-priority)/256
	// s), so two could take the VIP in the same instant when its holder
	// leaves (measured in tests/lab TestLab_VIPFailover: 1.3 ms with two
	// holders); 10 points are 39 ms between their timers. With nopreempt
	// a higher priority never takes the VIP back from a healthy holder.
	PriorityStep = 10
	// AgentCertDir holds the node's kube-proxy client certificate and the
	// server CA on every k3s node.
	AgentCertDir = "/var/lib/rancher/k3s/agent"
)

// KeepalivedConfig is one server's keepalived.conf.
type KeepalivedConfig struct {
	// RouterID names this node in keepalived's logs (the node name).
	RouterID string
	// Instance names the VRRP instance (VI_K3S unless set).
	Instance  string
	Interface string
	// VirtualRouterID must be unique on the network segment (1-255).
	VirtualRouterID int
	// Priority is this server's VRRP priority (DefaultPriority when 0).
	Priority int
	// VIP and PrefixLen form the address keepalived adds (the internal subnet's prefix).
	VIP       string
	PrefixLen int
	// AuthPass is the VRRP password: 1-8 letters or digits, or
	// AuthPassPlaceholder for the staged template.
	AuthPass string
	// UnicastSrcIP and UnicastPeers switch VRRP to unicast (networks
	// without multicast); empty means multicast.
	UnicastSrcIP string
	UnicastPeers []string
	// CheckScript is the vrrp_script command (CheckScriptPath unless set).
	CheckScript string
}

var authPassRE = regexp.MustCompile(`^[A-Za-z0-9]{1,8}$`)

// RenderKeepalivedConf renders keepalived.conf. It is pure and exported so
// the lab tier can run real failover with exactly this configuration.
func RenderKeepalivedConf(c KeepalivedConfig) ([]byte, error) {
	if c.Instance == "" {
		c.Instance = "VI_K3S"
	}
	if c.Priority == 0 {
		c.Priority = DefaultPriority
	}
	if c.CheckScript == "" {
		c.CheckScript = CheckScriptPath
	}
	if err := checkTokens(c); err != nil {
		return nil, err
	}
	if c.AuthPass != AuthPassPlaceholder && !authPassRE.MatchString(c.AuthPass) {
		return nil, fmt.Errorf("keepalived %s: auth_pass must be 1-%d letters or digits (keepalived silently cuts longer ones)", c.RouterID, AuthPassMaxLen)
	}
	if c.VirtualRouterID < 1 || c.VirtualRouterID > 255 {
		return nil, fmt.Errorf("keepalived %s: virtual_router_id %d: want 1-255", c.RouterID, c.VirtualRouterID)
	}
	if a, err := netip.ParseAddr(c.VIP); err != nil || !a.Is4() {
		return nil, fmt.Errorf("keepalived %s: VIP %q is not an IPv4 address", c.RouterID, c.VIP)
	}
	if c.PrefixLen < 1 || c.PrefixLen > 32 {
		return nil, fmt.Errorf("keepalived %s: prefix length %d", c.RouterID, c.PrefixLen)
	}
	if len(c.UnicastPeers) > 0 && c.UnicastSrcIP == "" {
		return nil, fmt.Errorf("keepalived %s: unicast peers need unicast_src_ip", c.RouterID)
	}
	for _, a := range append([]string{c.UnicastSrcIP}, c.UnicastPeers...) {
		if ip, err := netip.ParseAddr(a); a != "" && (err != nil || !ip.Is4()) {
			return nil, fmt.Errorf("keepalived %s: unicast address %q is not an IPv4 address", c.RouterID, a)
		}
	}
	return execute("keepalived.conf.tmpl", c)
}

// checkTokens refuses any word keepalived's lexer would not read back as
// exactly that word: the template writes values unquoted (the check script
// inside quotes), so this is what keeps a value from adding a directive.
func checkTokens(c KeepalivedConfig) error {
	for _, w := range []struct{ key, value string }{{"router_id", c.RouterID}, {"vrrp_instance", c.Instance}, {"interface", c.Interface}} {
		if err := grammar.KeepalivedToken(w.value); err != nil {
			return fmt.Errorf("keepalived %q: %s %q: %w", c.RouterID, w.key, w.value, err)
		}
	}
	if err := grammar.InterfaceName(c.Interface); err != nil {
		return fmt.Errorf("keepalived %s: interface %q: %w", c.RouterID, c.Interface, err)
	}
	if err := grammar.AbsPath(c.CheckScript); err != nil {
		return fmt.Errorf("keepalived %s: script %q: %w", c.RouterID, c.CheckScript, err)
	}
	return nil
}

// MemberPriority is the priority of the i-th server (0-based): distinct,
// never below 1.
func MemberPriority(i int) int {
	return max(DefaultPriority-PriorityStep*i, 1)
}

// RenderDropIn renders keepalived's unit drop-in: the VIP is released
// before keepalived stops. c is validated as for RenderKeepalivedConf.
func RenderDropIn(c KeepalivedConfig) ([]byte, error) {
	if _, err := RenderKeepalivedConf(c); err != nil {
		return nil, err
	}
	return templates.Execute("keepalived-dropin.conf.tmpl", c)
}

// RenderCheckScript renders the vrrp_script health check.
func RenderCheckScript(apiPort int) ([]byte, error) {
	return execute("check-apiserver.sh.tmpl", struct {
		CertDir string
		APIPort int
	}{AgentCertDir, apiPort})
}

// RenderSysctl lets services bind the VIP on servers that do not hold it.
func RenderSysctl() []byte {
	return []byte("# Managed by k3s-onprem: bind to the VIP before holding it\nnet.ipv4.ip_nonlocal_bind = 1\n")
}

func execute(name string, data any) ([]byte, error) { return templates.Execute(name, data) }
