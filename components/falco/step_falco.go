package falco

import (
	_ "embed"
	"errors"
	"fmt"
	"path"
	"strings"

	"k3s-onprem/internal/hoststep"
)

//go:embed scripts/falco.sh
var falcoScript string

// UnitDropInPath is the drop-in for the packaged Falco unit: it orders
// Falco after k3s at boot, so the container plugin finds k3s's containerd
// socket when it connects (After= is ordering only: Falco still starts
// when k3s does not), and it adds the container plugin's settings to the
// packaged command line.
const UnitDropInPath = "/etc/systemd/system/falco-modern-bpf.service.d/50-k3s-onprem.conf"

// PackagedExecStart is falco-modern-bpf.service's command line in every
// pinned release (tests/conformance checks it against the fact tables).
const PackagedExecStart = "/usr/bin/falco -o engine.kind=modern_ebpf"

// RenderUnitDropIn renders the unit drop-in.
func RenderUnitDropIn() ([]byte, error) {
	opt, err := ContainerPluginOption()
	if err != nil {
		return nil, err
	}
	// Inside systemd's single quotes these would be unquoted, expanded or
	// escaped; the JSON of our settings never has them.
	if strings.ContainsAny(opt, `'%$\`) {
		return nil, fmt.Errorf("render %s: container plugin option %q needs systemd escaping", UnitDropInPath, opt)
	}
	return []byte(`# Managed by k3s-onprem: start after k3s so pod metadata is available,
# and configure the container plugin (falco.yaml's own entry would win over
# one in config.d).
[Unit]
After=k3s.service k3s-agent.service

[Service]
ExecStart=
ExecStart=` + PackagedExecStart + ` -o '` + opt + "'\n"), nil
}

// StepName is the host step's name (resources are <node>-falco).
const StepName = "falco"

// falcoStep installs the pinned Falco package, its configuration and the
// project's rules on every node.
var falcoStep = hoststep.Def[StepsInput]{
	Name:  StepName,
	Build: buildFalco,
}

func buildFalco(in StepsInput) (hoststep.Step, error) {
	if in.Version == "" {
		return hoststep.Step{}, errors.New("no version")
	}
	rs, err := RulesetFor(in.Version)
	if err != nil {
		return hoststep.Step{}, err
	}
	cin := ConfigInput{Version: in.Version, SidekickURL: in.SidekickURL}
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
	dropIn, err := RenderUnitDropIn()
	if err != nil {
		return hoststep.Step{}, err
	}
	rules, err := Rules()
	if err != nil {
		return hoststep.Step{}, err
	}
	files := []hoststep.File{
		{Path: ConfigPath, Mode: 0o644, Content: cfg, Renderer: hoststep.Renderer{Func: "falco.RenderConfig", Source: "components/falco/config.go"}},
		{Path: ContainerPluginConfigPath, Mode: 0o644, Content: containerCfg, Renderer: hoststep.Renderer{Func: "falco.RenderContainerPluginConfig", Source: "components/falco/config.go"}},
		{Path: UnitDropInPath, Mode: 0o644, Content: dropIn, Renderer: hoststep.Renderer{Func: "falco.RenderUnitDropIn", Source: "components/falco/step_falco.go"}},
	}
	for _, r := range rules {
		files = append(files, hoststep.File{Path: path.Join(RulesDir, r.Name), Mode: 0o644, Content: r.Content, Renderer: hoststep.Renderer{Func: "falco.Rules", Source: "components/falco/rules.go"}})
	}
	vars := map[string]string{
		"FALCO_VERSION":         in.Version,
		"FALCO_KEY_URL":         orDefault(in.KeyURL, DefaultKeyURL),
		"FALCO_KEY_FINGERPRINT": PackageKeyFingerprint,
		"FALCO_DEB_REPO":        orDefault(in.DebRepo, DefaultDebRepo),
		"FALCO_RPM_REPO":        orDefault(in.RPMRepo, DefaultRPMRepo),
	}
	// The package ships falco_rules.yaml (rs.Default); falcoctl adds the
	// incubating and sandbox files and, on servers, the k8saudit plugin
	// with its ruleset and the json plugin.
	artifacts := []string{rs.Incubating, rs.Sandbox}
	if in.Server {
		artifacts = append(artifacts, K8sAuditPluginRef, K8sAuditRulesRef, JSONPluginRef)
	}
	vars["FALCO_ARTIFACTS"] = strings.Join(artifacts, " ")
	return hoststep.Step{Name: StepName, Script: falcoScript, Files: files, Vars: vars}, nil
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
