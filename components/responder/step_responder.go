package responder

import (
	"fmt"
	"strconv"

	"k3s-onprem/internal/hoststep"
	core "k3s-onprem/internal/responder"
)

// StepName is the responder's host step (resources <node>-responder).
const StepName = "responder"

// responderStep installs the responder binary, its configuration, units,
// token refresher and firewalld policy on a server.
var responderStep = hoststep.Def[StepsInput]{
	Name:  StepName,
	Roles: []string{hoststep.RoleServer},
	Build: buildResponder,
}

func buildResponder(in StepsInput) (hoststep.Step, error) {
	if len(in.BinarySHA256) != 64 {
		return hoststep.Step{}, fmt.Errorf("binary sha256 %q is not a hex digest", in.BinarySHA256)
	}
	cfg, err := RenderConfig(ConfigInput{Namespace: in.Namespace, ProtectedNamespaces: in.ProtectedNamespaces, AllowNamespaces: in.AllowNamespaces})
	if err != nil {
		return hoststep.Step{}, err
	}
	parsed, err := core.ParseConfig(cfg)
	if err != nil {
		return hoststep.Step{}, err
	}
	unit, err := RenderUnit(UnitInput{Port: in.Port, MaxConnections: parsed.Connections.Max})
	if err != nil {
		return hoststep.Step{}, err
	}
	tokenScript, tokenUnit, tokenTimer, sysusers, err := RenderToken(TokenInput{Namespace: in.Namespace})
	if err != nil {
		return hoststep.Step{}, err
	}
	policy, err := RenderFirewallPolicy(in.Port)
	if err != nil {
		return hoststep.Step{}, err
	}
	script, err := files.ReadFile("scripts/responder.sh")
	if err != nil {
		return hoststep.Step{}, err
	}
	return hoststep.Step{
		Name:   StepName,
		Script: string(script),
		Files: []hoststep.File{
			{Path: ConfigPath, Mode: 0o644, Content: cfg, Renderer: hoststep.Renderer{Func: "responder.RenderConfig", Source: "components/responder/render.go"}},
			{Path: UnitPath, Mode: 0o644, Content: unit, Renderer: hoststep.Renderer{Func: "responder.RenderUnit", Source: "components/responder/render.go"}},
			{Path: PolicyPath, Mode: 0o644, Content: policy, Renderer: hoststep.Renderer{Func: "responder.RenderFirewallPolicy", Source: "components/responder/render.go"}},
			{Path: SysusersPath, Mode: 0o644, Content: sysusers, Renderer: hoststep.Renderer{Func: "responder.RenderToken", Source: "components/responder/render.go"}},
			{Path: TokenScriptPath, Mode: 0o755, Content: tokenScript, Renderer: hoststep.Renderer{Func: "responder.RenderToken", Source: "components/responder/render.go"}},
			{Path: TokenUnitPath, Mode: 0o644, Content: tokenUnit, Renderer: hoststep.Renderer{Func: "responder.RenderToken", Source: "components/responder/render.go"}},
			{Path: TokenTimerPath, Mode: 0o644, Content: tokenTimer, Renderer: hoststep.Renderer{Func: "responder.RenderToken", Source: "components/responder/render.go"}},
		},
		Vars: map[string]string{
			"BINARY":          BinaryPath,
			"BINARY_SHA256":   in.BinarySHA256,
			"UPLOAD_NAME":     UploadName,
			"CONFIG":          ConfigPath,
			"UNIT":            UnitName,
			"UNIT_FILE":       UnitPath,
			"POLICY":          PolicyPath,
			"CREDENTIAL_DIR":  CredentialDir,
			"SYSUSERS":        SysusersPath,
			"TOKEN_UNIT":      TokenUnitName,
			"TOKEN_UNIT_FILE": TokenUnitPath,
			"TOKEN_TIMER":     TokenTimerName,
			"TOKEN_SCRIPT":    TokenScriptPath,
			"TOKEN_DIR":       TokenDir,
			"TOKEN_PATH":      TokenPath,
			"API_URL":         localAPIServer,
			"PORT":            strconv.Itoa(in.Port),
			"SERVICE_USER":    ServiceUser,
		},
	}, nil
}
