package vip

import (
	_ "embed"

	"k3s-onprem/internal/hoststep"
)

//go:embed scripts/keepalived.sh
var keepalivedScript string

//go:embed scripts/kube-vip.sh
var kubeVIPScript string

// Server is one server that may hold the VIP.
type Server struct {
	// Node names the server (keepalived's router_id).
	Node string
	// Address is the server's internal address (unicast source/peer).
	Address string
}

// Config is the VIP configuration: no Pulumi types, so steps render
// offline exactly as deployed.
type Config struct {
	// Implementation is ImplKeepalived (also when empty) or ImplKubeVIP.
	Implementation string
	// Lease is kube-vip's leader election timing (kube-vip only).
	Lease Lease
	// Address is the VIP; InternalCIDR gives its prefix length.
	Address      string
	InternalCIDR string
	Interface    string
	// VirtualRouterID must be unique on the segment.
	VirtualRouterID int
	// Unicast lists the peers explicitly instead of multicast.
	Unicast bool
	// APIPort is the port the health check probes on 127.0.0.1.
	APIPort int
	// Servers may hold the VIP, in priority order (MemberPriority).
	Servers []Server
}

// StepsInput is what one server's VIP steps are rendered from.
type StepsInput struct {
	Config Config
	// Server is this server's index in Config.Servers.
	Server int
}

// stepOrder is a server's VIP steps (one step_<name>.go each).
var stepOrder = []hoststep.Def[StepsInput]{keepalivedStep, kubeVIPStep}

// KubeVIP reports whether c selects kube-vip.
func (c Config) KubeVIP() bool { return c.Implementation == ImplKubeVIP }

// HostSteps returns one server's VIP steps. It is pure, so the renderer,
// the mocks tests and the lab runner see the same steps.
func HostSteps(in StepsInput) ([]hoststep.Step, error) {
	return hoststep.Build(stepOrder, hoststep.RoleServer, in)
}
