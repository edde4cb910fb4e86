package falco

import (
	"encoding/json"
	"fmt"

	"sigs.k8s.io/yaml"
)

// Host-mode configuration lives in drop-ins under /etc/falco/config.d, so
// the packaged falco.yaml stays the vendor's. Falco >= 0.41 merges these
// files into falco.yaml with its default "append" strategy: scalars and
// maps are overridden, sequences (plugins, load_plugins, rules_files,
// append_output) are appended to.
const (
	ConfigDir = "/etc/falco/config.d"
	// ConfigPath is the project's override file.
	ConfigPath = ConfigDir + "/50-k3s-onprem.yaml"
	// ContainerPluginConfigPath is the file the package ships to load the
	// container plugin; the project manages it so the plugin stays loaded
	// whatever an earlier release of this project wrote there.
	ContainerPluginConfigPath = ConfigDir + "/falco.container_plugin.yaml"
	// K3sContainerdSocket is k3s's embedded containerd. Pod and namespace
	// names (k8s.pod.name, k8s.ns.name) come from its CRI sandbox labels;
	// the responder needs both to act.
	K3sContainerdSocket = "/run/k3s/containerd/containerd.sock"
	// AuditRulesPath is where falcoctl installs the k8saudit ruleset.
	AuditRulesPath = "/etc/falco/k8s_audit_rules.yaml"
)

// ConfigInput is what the override file depends on.
type ConfigInput struct {
	// Version is the Falco release; it selects the pinned ruleset.
	Version string
	// SidekickURL is where Falco posts every alert (http_output).
	SidekickURL string
	// AuditURL, when set (servers), loads the k8saudit plugin listening there.
	AuditURL string
}

type falcoConfig struct {
	Engine                    engine         `json:"engine"`
	Priority                  string         `json:"priority"`
	JSONOutput                bool           `json:"json_output"`
	JSONIncludeOutputProperty bool           `json:"json_include_output_property"`
	JSONIncludeTagsProperty   bool           `json:"json_include_tags_property"`
	BufferedOutputs           bool           `json:"buffered_outputs"`
	HTTPOutput                httpOutput     `json:"http_output"`
	Webserver                 webserver      `json:"webserver"`
	AppendOutput              []appendOutput `json:"append_output"`
	Plugins                   []plugin       `json:"plugins,omitempty"`
	LoadPlugins               []string       `json:"load_plugins,omitempty"`
	RulesFiles                []string       `json:"rules_files,omitempty"`
	Rules                     []any          `json:"rules,omitempty"`
}

type engine struct {
	Kind string `json:"kind"`
}

type httpOutput struct {
	Enabled   bool   `json:"enabled"`
	URL       string `json:"url"`
	UserAgent string `json:"user_agent"`
	KeepAlive bool   `json:"keep_alive"`
}

type webserver struct {
	Enabled                  bool   `json:"enabled"`
	ListenAddress            string `json:"listen_address"`
	ListenPort               int    `json:"listen_port"`
	PrometheusMetricsEnabled bool   `json:"prometheus_metrics_enabled"`
}

type appendOutput struct {
	Match       map[string]string `json:"match"`
	ExtraFields []string          `json:"extra_fields"`
}

type plugin struct {
	Name        string `json:"name"`
	LibraryPath string `json:"library_path"`
	InitConfig  any    `json:"init_config"`
	OpenParams  string `json:"open_params,omitempty"`
}

// RenderConfig renders the override file for one node.
func RenderConfig(in ConfigInput) ([]byte, error) {
	if in.SidekickURL == "" {
		return nil, fmt.Errorf("render %s: no falcosidekick URL", ConfigPath)
	}
	selection, err := RuleSelection(in.Version)
	if err != nil {
		return nil, fmt.Errorf("render %s: %w", ConfigPath, err)
	}
	cfg := falcoConfig{
		// The packaged unit falco-modern-bpf.service selects the same
		// driver; saying it here keeps a manual `falco` run consistent.
		Engine: engine{Kind: "modern_ebpf"},
		// The same minimum as daemonset mode (see AlertPriority); sidekick
		// filters each output by its own minimum from there.
		Priority:                  AlertPriority,
		JSONOutput:                true,
		JSONIncludeOutputProperty: true,
		JSONIncludeTagsProperty:   true,
		BufferedOutputs:           false,
		HTTPOutput:                httpOutput{Enabled: true, URL: in.SidekickURL, UserAgent: "falcosecurity/falco", KeepAlive: true},
		// Health endpoint for local checks only: nothing off the host
		// needs it, so it does not listen on the network.
		Webserver: webserver{Enabled: true, ListenAddress: "127.0.0.1", ListenPort: 8765},
		// Every syscall alert carries the pod, also from upstream rules
		// that do not print it, so the responder can act on any of them.
		AppendOutput: []appendOutput{{
			Match:       map[string]string{"source": "syscall"},
			ExtraFields: []string{"k8s.ns.name", "k8s.pod.name"},
		}},
		// Appended to the packaged rules_files (after rules.d); falcoctl
		// installs both files (FALCO_ARTIFACTS).
		RulesFiles: []string{IncubatingRulesPath, SandboxRulesPath},
		Rules:      selection,
	}
	if in.AuditURL != "" {
		cfg.Plugins = []plugin{
			{Name: "k8saudit", LibraryPath: "libk8saudit.so", InitConfig: map[string]any{}, OpenParams: in.AuditURL},
			{Name: "json", LibraryPath: "libjson.so", InitConfig: ""},
		}
		cfg.LoadPlugins = []string{"k8saudit", "json"}
		cfg.RulesFiles = append(cfg.RulesFiles, AuditRulesPath)
	}
	b, err := yaml.Marshal(cfg)
	if err != nil {
		return nil, fmt.Errorf("render %s: %w", ConfigPath, err)
	}
	return append([]byte("# Managed by k3s-onprem: Falco settings merged into falco.yaml.\n"), b...), nil
}

type engineSockets struct {
	Enabled bool     `json:"enabled"`
	Sockets []string `json:"sockets,omitempty"`
}

// containerPlugin is the container plugin's entry: only k3s's containerd
// through CRI, the one runtime on these nodes (the default also probes
// Docker, Podman and other sockets that do not exist).
func containerPlugin() plugin {
	off := engineSockets{Enabled: false}
	return plugin{
		Name:        "container",
		LibraryPath: "libcontainer.so",
		InitConfig: map[string]any{
			"label_max_len": 100,
			"with_size":     false,
			"hooks":         []string{"create"},
			"engines": map[string]engineSockets{
				"cri":         {Enabled: true, Sockets: []string{K3sContainerdSocket}},
				"containerd":  off,
				"docker":      off,
				"podman":      off,
				"lxc":         off,
				"libvirt_lxc": off,
				"bpm":         off,
			},
		},
	}
}

// RenderContainerPluginConfig renders the file that loads the container
// plugin. It holds no plugin settings: falco.yaml already has a
// "container" entry and Falco configures a plugin from the first entry
// with its name, so a config.d entry (appended after it) is ignored.
// ContainerPluginOption replaces that first entry instead.
func RenderContainerPluginConfig() ([]byte, error) {
	b, err := yaml.Marshal(map[string]any{"load_plugins": []string{"container"}})
	if err != nil {
		return nil, fmt.Errorf("render %s: %w", ContainerPluginConfigPath, err)
	}
	return append([]byte("# Managed by k3s-onprem: loads the container plugin; its settings are in the unit drop-in.\n"), b...), nil
}

// ContainerPluginOption is the `falco -o` option that replaces falco.yaml's
// plugins[0] (the packaged "container" entry; tests/conformance checks the
// index against each pinned falco.yaml) with ours. Falco applies -o after
// merging config.d, and a value in braces is parsed as a YAML object. JSON
// keeps it free of spaces, quotes aside.
func ContainerPluginOption() (string, error) {
	b, err := json.Marshal(containerPlugin())
	if err != nil {
		return "", fmt.Errorf("render container plugin option: %w", err)
	}
	return "plugins[0]=" + string(b), nil
}
