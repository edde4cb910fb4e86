package vip

import (
	"os/exec"
	"strings"
	"testing"

	"k3s-onprem/internal/golden"
	"k3s-onprem/internal/hoststep"
)

func testConfig(unicast bool) Config {
	c := Config{Address: "192.168.122.100", InternalCIDR: "192.168.122.0/24", Interface: "eth0", VirtualRouterID: 51, Unicast: unicast, APIPort: 6443}
	for i, addr := range []string{"192.168.122.11", "192.168.122.12", "192.168.122.13"} {
		c.Servers = append(c.Servers, Server{Node: "server-" + string(rune('1'+i)), Address: addr})
	}
	return c
}

// serverSteps is each server's keepalived step, in the order of c.Servers.
func serverSteps(t *testing.T, c Config) []hoststep.Step {
	t.Helper()
	var out []hoststep.Step
	for i := range c.Servers {
		steps, err := HostSteps(StepsInput{Config: c, Server: i})
		if err != nil {
			t.Fatal(err)
		}
		if len(steps) != 1 || steps[0].Name != StepName {
			t.Fatalf("server %d: steps %v, want one %s step", i, steps, StepName)
		}
		out = append(out, steps[0])
	}
	return out
}

func TestGolden_Keepalived(t *testing.T) {
	for name, unicast := range map[string]bool{"multicast": false, "unicast": true} {
		steps := serverSteps(t, testConfig(unicast))
		golden.Assert(t, "keepalived-"+name+".conf", steps[0].Files[0].Content)
		if name == "multicast" {
			golden.Assert(t, "keepalived-dropin.conf", steps[0].Files[3].Content)
		}
	}
	check, err := RenderCheckScript(6443)
	if err != nil {
		t.Fatal(err)
	}
	golden.Assert(t, "check-apiserver.sh", check)
}

func TestRenderKeepalivedConf_Settings(t *testing.T) {
	conf, err := RenderKeepalivedConf(KeepalivedConfig{RouterID: "s1", Interface: "eth0", VirtualRouterID: 7, VIP: "10.0.0.100", PrefixLen: 24, AuthPass: "abcd1234"})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"state BACKUP", "nopreempt", "priority 100", "virtual_router_id 7", "auth_pass abcd1234",
		"10.0.0.100/24 dev eth0", "interface eth0", "chk_apiserver", `script "/etc/keepalived/check-apiserver.sh"`} {
		if !strings.Contains(string(conf), want) {
			t.Errorf("conf lacks %q", want)
		}
	}
	if strings.Contains(string(conf), "unicast") {
		t.Error("multicast conf mentions unicast")
	}
	for _, bad := range []string{"", "toolong12", "pass word", "p@ss"} {
		if _, err := RenderKeepalivedConf(KeepalivedConfig{RouterID: "s1", Interface: "eth0", VirtualRouterID: 7, VIP: "10.0.0.100", PrefixLen: 24, AuthPass: bad}); err == nil {
			t.Errorf("auth_pass %q accepted", bad)
		}
	}
}

func TestSteps_UnicastPeersExcludeSelf(t *testing.T) {
	steps := serverSteps(t, testConfig(true))
	conf := string(steps[1].Files[0].Content)
	if !strings.Contains(conf, "unicast_src_ip 192.168.122.12") || !strings.Contains(conf, "unicast_peer {\n        192.168.122.11\n        192.168.122.13\n    }") {
		t.Errorf("server-2 unicast block wrong:\n%s", conf)
	}
	if strings.Contains(conf, "        192.168.122.12\n") {
		t.Error("server-2 lists itself as a peer")
	}
}

func TestSteps_NoSecretStaged(t *testing.T) {
	steps := serverSteps(t, testConfig(false))
	for _, f := range steps[0].Files {
		if f.Path == ConfPath {
			t.Errorf("%s is staged; it must be written from stdin", ConfPath)
		}
	}
	if !strings.Contains(string(steps[0].Files[0].Content), "auth_pass "+AuthPassPlaceholder) {
		t.Error("the staged template does not carry the placeholder")
	}
}

func TestScripts_BashSyntax(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash not installed")
	}
	steps := serverSteps(t, testConfig(true))
	b, err := steps[0].Render()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bash, "-n")
	cmd.Stdin = strings.NewReader(string(b.Files[len(b.Files)-1].Content))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("%v\n%s", err, out)
	}
	check, _ := RenderCheckScript(6443)
	cmd = exec.Command("sh", "-n")
	cmd.Stdin = strings.NewReader(string(check))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("check script: %v\n%s", err, out)
	}
}
