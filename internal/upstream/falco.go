package upstream

import (
	"embed"
	"encoding/json"
	"fmt"
	"strings"
)

// The Falco tables are refreshed by falco-refresh.sh (see falcofacts).
//
//go:embed facts/falco-*.json
var falcoFactsFS embed.FS

// FalcoSource says where a Falco fact table was read from.
type FalcoSource struct {
	Repo    string `json:"repo"`
	File    string `json:"file"`
	Tag     string `json:"tag"`
	Commit  string `json:"commit"`
	Read    string `json:"read"`
	Refresh string `json:"refresh"`
}

// FalcoRule is one rule defined by an upstream rules file.
type FalcoRule struct {
	Name     string `json:"name"`
	Priority string `json:"priority"`
	// Enabled is set only where the file sets it.
	Enabled *bool    `json:"enabled,omitempty"`
	Tags    []string `json:"tags,omitempty"`
}

// FalcoPluginVersion is a required_plugin_versions entry.
type FalcoPluginVersion struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// FalcoRuleFile is the fact table of one upstream rules file at one tag.
type FalcoRuleFile struct {
	Source                 FalcoSource          `json:"source"`
	RequiredEngineVersion  string               `json:"required_engine_version,omitempty"`
	RequiredPluginVersions []FalcoPluginVersion `json:"required_plugin_versions,omitempty"`
	Rules                  []FalcoRule          `json:"rules"`
	Macros                 []string             `json:"macros"`
	Lists                  []string             `json:"lists"`
}

// Rule returns the named rule and whether the file defines it.
func (f FalcoRuleFile) Rule(name string) (FalcoRule, bool) {
	for _, r := range f.Rules {
		if r.Name == name {
			return r, true
		}
	}
	return FalcoRule{}, false
}

// FalcoConfig is the fact table of falco.yaml (and the package's config.d
// files and modern eBPF unit) at one Falco release.
type FalcoConfig struct {
	Source      FalcoSource `json:"source"`
	ConfigFiles []string    `json:"config_files"`
	RulesFiles  []string    `json:"rules_files"`
	Priority    string      `json:"priority"`
	// Plugins are the names of falco.yaml's plugins entries, in order:
	// Falco configures a plugin from the first entry with its name.
	Plugins     []string `json:"plugins"`
	LoadPlugins []string `json:"load_plugins"`
	// PackagedConfigD maps each file the package installs under
	// /etc/falco/config.d to the plugins it adds to load_plugins.
	PackagedConfigD map[string][]string `json:"packaged_config_d"`
	// ServiceExecStart is the packaged modern eBPF unit's ExecStart.
	ServiceExecStart string `json:"service_exec_start"`
}

// Names of the Falco rule tables: the artifact (as falcoctl names it) and
// its version, e.g. FalcoRules("falco-incubating-rules", "6.0.0").
const (
	FalcoDefaultRules    = "falco-rules"
	FalcoIncubatingRules = "falco-incubating-rules"
	FalcoSandboxRules    = "falco-sandbox-rules"
	FalcoK8sAuditRules   = "k8saudit-rules"
)

// FalcoRules returns the fact table of a rules artifact at a version.
func FalcoRules(artifact, version string) (FalcoRuleFile, error) {
	var f FalcoRuleFile
	err := falcoReadFacts(falcoRulesFactsName(artifact, version), &f)
	return f, err
}

// FalcoRulesRef is FalcoRules for a falcoctl reference "artifact:version".
func FalcoRulesRef(ref string) (FalcoRuleFile, error) {
	artifact, version, ok := strings.Cut(ref, ":")
	if !ok {
		return FalcoRuleFile{}, fmt.Errorf("falco rules reference %q: want artifact:version", ref)
	}
	return FalcoRules(artifact, version)
}

func falcoRulesFactsName(artifact, version string) string {
	if artifact == FalcoK8sAuditRules {
		return "falco-k8saudit-rules-" + version
	}
	return artifact + "-" + version
}

// FalcoConfigFacts returns the falco.yaml fact table of a Falco release.
func FalcoConfigFacts(falcoVersion string) (FalcoConfig, error) {
	var c FalcoConfig
	err := falcoReadFacts("falco-config-"+falcoVersion, &c)
	return c, err
}

func falcoReadFacts(name string, v any) error {
	b, err := falcoFactsFS.ReadFile("facts/" + name + ".json")
	if err != nil {
		return fmt.Errorf("no Falco fact table %s (add it to internal/upstream/falco-refresh.sh and run it): %w", name, err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("fact table %s: %w", name, err)
	}
	return nil
}
