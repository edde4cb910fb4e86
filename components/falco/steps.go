package falco

import (
	_ "embed"
	"fmt"
	"path"
	"strings"

	"k3s-onprem/internal/hoststep"
)

//go:embed scripts/falco.sh
var falcoScript string

// UnitDropInPath orders Falco after k3s at boot, so the container plugin
// finds k3s's containerd socket when it connects (After= is ordering only:
// Falco still starts when k3s does not).
const UnitDropInPath = "/etc/systemd/system/falco-modern-bpf.service.d/50-k3s-onprem.conf"

const unitDropIn = `# Managed by k3s-onprem: start after k3s so pod metadata is available.
[Unit]
After=k3s.service k3s-agent.service
`

// HostInput is what a node's Falco step is rendered from.
type HostInput struct {
	// Version is the Falco package version (falco.version).
	Version string
	// Server loads the k8saudit plugin (the API server runs there).
	Server bool
	// SidekickURL is Falco's http_output target.
	SidekickURL string
	// Package sources; empty means the Default* constants.
	KeyURL, DebRepo, RPMRepo string
}

// StepName is the host step's name (resources are <node>-falco).
const StepName = "falco"

// HostStep renders the Falco host step for one node.
func HostStep(in HostInput) (hoststep.Step, error) {
	if in.Version == "" {
		return hoststep.Step{}, fmt.Errorf("falco host step: no version")
	}
	cin := ConfigInput{SidekickURL: in.SidekickURL}
	if in.Server {
		cin.AuditURL = HostAuditURL()
	}
	cfg, err := RenderConfig(cin)
	if err != nil {
		return hoststep.Step{}, err
	}
	containerCfg, err := RenderContainerPluginConfig()
	if err != nil {
		return hoststep.Step{}, err
	}
	rules, err := Rules()
	if err != nil {
		return hoststep.Step{}, err
	}
	files := []hoststep.File{
		{Path: ConfigPath, Mode: 0o644, Content: cfg},
		{Path: ContainerPluginConfigPath, Mode: 0o644, Content: containerCfg},
		{Path: UnitDropInPath, Mode: 0o644, Content: []byte(unitDropIn)},
	}
	for _, r := range rules {
		files = append(files, hoststep.File{Path: path.Join(RulesDir, r.Name), Mode: 0o644, Content: r.Content})
	}
	vars := map[string]string{
		"FALCO_VERSION":         in.Version,
		"FALCO_KEY_URL":         orDefault(in.KeyURL, DefaultKeyURL),
		"FALCO_KEY_FINGERPRINT": PackageKeyFingerprint,
		"FALCO_DEB_REPO":        orDefault(in.DebRepo, DefaultDebRepo),
		"FALCO_RPM_REPO":        orDefault(in.RPMRepo, DefaultRPMRepo),
	}
	if in.Server {
		vars["FALCO_ARTIFACTS"] = strings.Join([]string{K8sAuditPluginRef, K8sAuditRulesRef, JSONPluginRef}, " ")
	}
	return hoststep.Step{Name: StepName, Script: falcoScript, Files: files, Vars: vars}, nil
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
