package falco

import (
	"sort"

	"k3s-onprem/internal/namespaces"
)

// SensorNamespace holds the daemonset-mode Falco pods. They need privileged
// pods (eBPF), so they do not share the restricted falco namespace with
// falcosidekick.
const SensorNamespace = namespaces.FalcoSensorsName

// Release names in daemonset mode.
const (
	DaemonSetReleaseName = namespaces.FalcoSensorsRelease
	AuditReleaseName     = namespaces.FalcoAuditRelease
)

// DaemonSetInput is what the daemonset-mode values depend on.
type DaemonSetInput struct {
	Version     string
	SidekickURL string
}

// falcoSettings are the falco.yaml settings both daemonset releases share;
// they match the host mode's (RenderConfig), priority included, so both
// modes forward the same alerts.
func falcoSettings(sidekickURL string) map[string]any {
	return map[string]any{
		"priority":                     AlertPriority,
		"json_output":                  true,
		"json_include_output_property": true,
		"json_include_tags_property":   true,
		"buffered_outputs":             false,
		"http_output":                  map[string]any{"enabled": true, "url": sidekickURL, "user_agent": "falcosecurity/falco", "keep_alive": true},
		"append_output": []any{map[string]any{
			"match":        map[string]any{"source": "syscall"},
			"extra_fields": []any{"k8s.ns.name", "k8s.pod.name"},
		}},
	}
}

// common are the chart values both releases share: the pinned image, the
// read-only identity (the chart creates none), no runtime artifact updates.
func common(version string) map[string]any {
	return map[string]any{
		"image":          map[string]any{"tag": version},
		"serviceAccount": map[string]any{"create": false, "name": ServiceAccountName},
		"rbac":           map[string]any{"create": false},
	}
}

// DaemonSetValues are the falco chart values for the syscall sensors.
func DaemonSetValues(in DaemonSetInput) (map[string]any, error) {
	rs, err := RulesetFor(in.Version)
	if err != nil {
		return nil, err
	}
	selection, err := RuleSelection(in.Version)
	if err != nil {
		return nil, err
	}
	rules, err := Rules()
	if err != nil {
		return nil, err
	}
	custom := map[string]any{}
	names := []string{}
	for _, r := range rules {
		custom[r.Name] = string(r.Content)
		names = append(names, r.Name)
	}
	sort.Strings(names)
	v := common(in.Version)
	v["driver"] = map[string]any{"kind": "modern_ebpf", "loader": map[string]any{"enabled": false}}
	v["collectors"] = map[string]any{
		"containerEngine": map[string]any{
			"enabled": true,
			"engines": map[string]any{
				"cri":        map[string]any{"enabled": true, "sockets": []any{K3sContainerdSocket}},
				"containerd": map[string]any{"enabled": false},
				"docker":     map[string]any{"enabled": false},
				"podman":     map[string]any{"enabled": false},
			},
		},
		"kubernetes": map[string]any{"enabled": false},
	}
	// falcoctl installs the pinned ruleset (the chart's default reference
	// "falco-rules:5" would take whatever 5.x is newest at pod start); no
	// runtime re-download.
	v["falcoctl"] = map[string]any{"artifact": map[string]any{
		"install": map[string]any{"enabled": true},
		"follow":  map[string]any{"enabled": false},
	}, "config": map[string]any{"artifact": map[string]any{"install": map[string]any{
		"refs": []any{rs.Default, rs.Incubating, rs.Sandbox},
	}}}}
	v["customRules"] = custom
	f := falcoSettings(in.SidekickURL)
	// The host mode's order: the packaged list, then the extra files.
	f["rules_files"] = []any{DefaultRulesPath, LocalRulesPath, RulesDir, IncubatingRulesPath, SandboxRulesPath}
	f["rules"] = selection
	v["falco"] = f
	// Servers carry the CriticalAddonsOnly taint when agents exist; Falco
	// must watch them too.
	v["tolerations"] = []any{
		map[string]any{"effect": "NoSchedule", "key": "node-role.kubernetes.io/control-plane", "operator": "Exists"},
		map[string]any{"key": "CriticalAddonsOnly", "operator": "Exists"},
	}
	v["podPriorityClassName"] = "system-node-critical"
	return v, nil
}

// AuditValues are the falco chart values for the k8saudit listener in
// daemonset mode: one plugin-only replica behind a fixed ClusterIP.
func AuditValues(in DaemonSetInput) map[string]any {
	v := common(in.Version)
	v["controller"] = map[string]any{"kind": "deployment", "deployment": map[string]any{"replicas": 1}}
	v["driver"] = map[string]any{"enabled": false}
	v["collectors"] = map[string]any{"enabled": false}
	v["falcoctl"] = map[string]any{"artifact": map[string]any{
		"install": map[string]any{"enabled": true},
		"follow":  map[string]any{"enabled": false},
	}, "config": map[string]any{"artifact": map[string]any{"install": map[string]any{
		"refs": []any{K8sAuditRulesRef, K8sAuditPluginRef, JSONPluginRef},
	}}}}
	f := falcoSettings(in.SidekickURL)
	delete(f, "append_output")
	f["rules_files"] = []any{AuditRulesPath}
	f["plugins"] = []any{
		map[string]any{"name": "k8saudit", "library_path": "libk8saudit.so", "init_config": "", "open_params": "http://:9765" + AuditEndpoint},
		map[string]any{"name": "json", "library_path": "libjson.so", "init_config": ""},
	}
	f["load_plugins"] = []any{"k8saudit", "json"}
	v["falco"] = f
	return v
}
