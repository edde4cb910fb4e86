package k3s

import (
	"embed"
	"fmt"

	"k3s-onprem/internal/tmpl"
)

//go:embed templates/*.tmpl
var templateFS embed.FS

var templates = tmpl.Must(templateFS, "templates/*.tmpl")

// UnitPath is the systemd unit of a role: k3s.service for servers,
// k3s-agent.service for agents (the upstream names, so k3s's own tooling
// and docs apply).
func UnitPath(role string) string {
	if role == RoleAgent {
		return AgentUnitPath
	}
	return ServerUnitPath
}

// UnitName is the systemd unit name of a role.
func UnitName(role string) string {
	if role == RoleAgent {
		return "k3s-agent.service"
	}
	return "k3s.service"
}

// RenderUnit renders the systemd unit for a role.
func RenderUnit(role string) ([]byte, error) {
	if role != RoleServer && role != RoleAgent {
		return nil, fmt.Errorf("unit: role %q: want server or agent", role)
	}
	token := TokenPath
	if role == RoleAgent {
		token = AgentTokenPath
	}
	return templates.Execute("k3s.service.tmpl", struct{ Role, Binary, TokenFile string }{role, BinaryPath, token})
}
