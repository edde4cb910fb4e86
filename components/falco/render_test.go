package falco

import (
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"k3s-onprem/internal/golden"
)

// goldenVersion is the Falco release the goldens render: the default for
// new stacks (stacks.DefaultFalcoVersion). The other pinned releases are
// checked against their fact tables by tests/conformance.
const goldenVersion = "0.44.1"

func TestGolden_Config(t *testing.T) {
	url := SidekickURL("10.44.0.12")
	for name, in := range map[string]ConfigInput{
		"config-server": {Version: goldenVersion, SidekickURL: url, AuditURL: HostAuditURL()},
		"config-agent":  {Version: goldenVersion, SidekickURL: url},
	} {
		b, err := RenderConfig(in)
		if err != nil {
			t.Fatal(err)
		}
		golden.Assert(t, name+".yaml", b)
	}
	if _, err := RenderConfig(ConfigInput{Version: "0.42.1"}); err == nil {
		t.Error("a config without a sidekick URL was accepted")
	}
	if _, err := RenderConfig(ConfigInput{Version: "0.41.0", SidekickURL: url}); err == nil {
		t.Error("a Falco version without a pinned ruleset was accepted")
	}
}

func TestGolden_UnitDropIn(t *testing.T) {
	b, err := RenderUnitDropIn()
	if err != nil {
		t.Fatal(err)
	}
	golden.Assert(t, "falco-modern-bpf.service.d.conf", b)
}

// TestContainerPluginOption_ReplacesPackagedEntry: the option is parsed as
// Falco parses -o (key=value, a braced value is a YAML object) and must
// name the container plugin with our k3s-only engines.
func TestContainerPluginOption_ReplacesPackagedEntry(t *testing.T) {
	opt, err := ContainerPluginOption()
	if err != nil {
		t.Fatal(err)
	}
	key, val, _ := strings.Cut(opt, "=")
	if key != "plugins[0]" || !strings.HasPrefix(val, "{") || !strings.HasSuffix(val, "}") {
		t.Fatalf("option %q: want plugins[0]={...}", opt)
	}
	var p struct {
		Name       string `json:"name"`
		InitConfig struct {
			Engines map[string]struct {
				Enabled bool     `json:"enabled"`
				Sockets []string `json:"sockets"`
			} `json:"engines"`
		} `json:"init_config"`
	}
	if err := yaml.Unmarshal([]byte(val), &p); err != nil {
		t.Fatal(err)
	}
	if p.Name != "container" {
		t.Errorf("plugin %q, want container", p.Name)
	}
	for name, e := range p.InitConfig.Engines {
		if e.Enabled != (name == "cri") {
			t.Errorf("engine %s enabled=%v", name, e.Enabled)
		}
	}
	if cri := p.InitConfig.Engines["cri"]; len(cri.Sockets) != 1 || cri.Sockets[0] != K3sContainerdSocket {
		t.Errorf("cri sockets %v, want only %s", cri.Sockets, K3sContainerdSocket)
	}
}

// TestPriority_SameInBothModes: host mode and daemonset mode forward the
// same priorities and enable the same upstream rules.
func TestPriority_SameInBothModes(t *testing.T) {
	b, err := RenderConfig(ConfigInput{Version: "0.42.1", SidekickURL: SidekickURL("10.44.0.12")})
	if err != nil {
		t.Fatal(err)
	}
	var host map[string]any
	if err := yaml.Unmarshal(b, &host); err != nil {
		t.Fatal(err)
	}
	ds, err := DaemonSetValues(DaemonSetInput{Version: "0.42.1", SidekickURL: SidekickURL("10.44.0.12")})
	if err != nil {
		t.Fatal(err)
	}
	pod := ds["falco"].(map[string]any)
	audit := AuditValues(DaemonSetInput{Version: "0.42.1", SidekickURL: SidekickURL("10.44.0.12")})["falco"].(map[string]any)
	for name, got := range map[string]any{"daemonset": pod["priority"], "audit": audit["priority"]} {
		if got != host["priority"] {
			t.Errorf("%s priority %v, host mode %v", name, got, host["priority"])
		}
	}
	hs, _ := yaml.Marshal(host["rules"])
	ps, _ := yaml.Marshal(pod["rules"])
	if string(hs) != string(ps) || len(hs) < 10 {
		t.Errorf("rule selection differs:\nhost:\n%s\ndaemonset:\n%s", hs, ps)
	}
}

func TestGolden_ContainerPluginConfig(t *testing.T) {
	b, err := RenderContainerPluginConfig()
	if err != nil {
		t.Fatal(err)
	}
	golden.Assert(t, "falco.container_plugin.yaml", b)
}

func TestGolden_AuditWebhookConfig(t *testing.T) {
	b, err := RenderAuditWebhookConfig(HostAuditURL())
	if err != nil {
		t.Fatal(err)
	}
	golden.Assert(t, "audit-webhook.yaml", b)
}

func assertValues(t *testing.T, name string, v map[string]any) {
	t.Helper()
	b, err := yaml.Marshal(Redacted(v))
	if err != nil {
		t.Fatal(err)
	}
	golden.Assert(t, name, b)
}

func TestGolden_SidekickValues(t *testing.T) {
	v, err := SidekickValues(SidekickInput{
		Outputs: []Output{
			{Type: "slack", MinPriority: "warning"}, {Type: "teams", MinPriority: "error"},
			{Type: "mattermost", MinPriority: "warning"}, {Type: "discord", MinPriority: "critical"},
			{Type: "alertmanager", MinPriority: "notice"},
		},
		Responder: &ResponderOutput{MinPriority: "notice", HasCA: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	assertValues(t, "sidekick-values-all.yaml", v)
	v, err = SidekickValues(SidekickInput{Outputs: []Output{{Type: "webhook", MinPriority: "warning"}}})
	if err != nil {
		t.Fatal(err)
	}
	assertValues(t, "sidekick-values-webhook.yaml", v)
}

func TestSidekickValues_ResponderNeedsTheWebhookOutput(t *testing.T) {
	_, err := SidekickValues(SidekickInput{
		Outputs:   []Output{{Type: "webhook", MinPriority: "warning"}},
		Responder: &ResponderOutput{MinPriority: "notice"},
	})
	if err == nil {
		t.Fatal("a webhook output and the responder were both accepted; sidekick has one webhook output")
	}
}

func TestSidekickValues_EveryURLIsASecretRef(t *testing.T) {
	v, err := SidekickValues(SidekickInput{Outputs: []Output{
		{Type: "slack"}, {Type: "teams"}, {Type: "mattermost"}, {Type: "discord"}, {Type: "alertmanager"}, {Type: "webhook"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	cfg := v["config"].(map[string]any)
	for typ, k := range outputKeys {
		ref, ok := cfg[k[0]].(map[string]any)[k[1]].(Ref)
		if !ok || !ref.Secret || ref.Key != "falcoOutputUrls."+typ {
			t.Errorf("%s: %s.%s is %#v, want a secret Ref", typ, k[0], k[1], cfg[k[0]].(map[string]any)[k[1]])
		}
	}
}

func TestGolden_DaemonSetValues(t *testing.T) {
	in := DaemonSetInput{Version: goldenVersion, SidekickURL: SidekickURL("10.44.0.12")}
	v, err := DaemonSetValues(in)
	if err != nil {
		t.Fatal(err)
	}
	// The rules are golden-tested on their own; keep this file readable.
	v["customRules"] = "(the files under rules/)"
	assertValues(t, "daemonset-values.yaml", v)
	assertValues(t, "k8saudit-values.yaml", AuditValues(in))
}

func TestClusterIPs(t *testing.T) {
	for cidr, want := range map[string][2]string{
		"10.43.0.0/16": {"10.43.0.12", "10.43.0.13"},
		"10.44.0.0/16": {"10.44.0.12", "10.44.0.13"},
		"10.96.0.0/12": {"10.96.0.12", "10.96.0.13"},
	} {
		s, err := SidekickClusterIP(cidr)
		if err != nil || s != want[0] {
			t.Errorf("%s: sidekick %s %v, want %s", cidr, s, err, want[0])
		}
		a, err := AuditClusterIP(cidr)
		if err != nil || a != want[1] {
			t.Errorf("%s: audit %s %v, want %s", cidr, a, err, want[1])
		}
	}
	for _, bad := range []string{"", "10.43.0.0/29", "fd00::/108", "nonsense"} {
		if _, err := SidekickClusterIP(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestChartVersion(t *testing.T) {
	if v, err := ChartVersion("0.42.1"); err != nil || v != "7.0.1" {
		t.Errorf("0.42.1: %s %v", v, err)
	}
	if _, err := ChartVersion("0.40.0"); err == nil {
		t.Error("an unpinned Falco version got a chart")
	}
}

func TestAuditWebhookURL(t *testing.T) {
	for mode, want := range map[string]string{
		ModeHost:      "http://127.0.0.1:9765/k8s-audit",
		ModeDaemonSet: "http://10.43.0.13:9765/k8s-audit",
	} {
		got, err := AuditWebhookURL(mode, "10.43.0.0/16")
		if err != nil || got != want {
			t.Errorf("%s: %s %v, want %s", mode, got, err, want)
		}
	}
	if _, err := AuditWebhookURL("sidecar", "10.43.0.0/16"); err == nil {
		t.Error("unknown mode accepted")
	}
	for _, a := range AuditWebhookAPIServerArgs() {
		if !strings.HasPrefix(a, "audit-webhook-") {
			t.Errorf("unexpected API server arg %q", a)
		}
	}
}
