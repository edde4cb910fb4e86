package responder

import (
	"os/exec"
	"strings"
	"testing"

	"k3s-onprem/internal/golden"
	core "k3s-onprem/internal/responder"
)

func TestGolden_Unit(t *testing.T) {
	b, err := RenderUnit(UnitInput{Port: 2801})
	if err != nil {
		t.Fatal(err)
	}
	golden.Assert(t, "k3s-onprem-responder.service", b)
	for _, want := range []string{"DynamicUser=yes", "NoNewPrivileges=yes", "ProtectSystem=strict", "CapabilityBoundingSet=\n", "LoadCredential=secret:" + CredentialDir + "/secret"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("unit lacks %q", want)
		}
	}
}

func TestGolden_FirewallPolicy(t *testing.T) {
	b, err := RenderFirewallPolicy(2801)
	if err != nil {
		t.Fatal(err)
	}
	golden.Assert(t, "k3s-onprem-responder.policy.xml", b)
}

func TestGolden_Config(t *testing.T) {
	b, err := RenderConfig(ConfigInput{Namespace: "falco-responder", AllowNamespaces: []string{"ci"}})
	if err != nil {
		t.Fatal(err)
	}
	golden.Assert(t, "config.yaml", b)
	c, err := core.ParseConfig(b)
	if err != nil {
		t.Fatal(err)
	}
	if c.OwnNamespace != "falco-responder" || len(c.Allow.Namespaces) != 1 || len(c.Responses[0].Rules) != len(core.DefaultConfig().Responses[0].Rules) {
		t.Fatalf("round trip lost settings: %+v", c)
	}
}

func TestRenderConfig_RejectsBadAllowList(t *testing.T) {
	if _, err := RenderConfig(ConfigInput{Namespace: "falco-responder", AllowNamespaces: []string{"Not_A_Namespace"}}); err == nil {
		t.Fatal("an invalid namespace reached the rendered config")
	}
}

func TestStep_ScriptIsBash(t *testing.T) {
	s, err := Step(StepInput{Port: 2801, Namespace: "falco-responder", TokenSecret: "falco-responder-token", BinarySHA256: strings.Repeat("ab", 32)})
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Render()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range b.Files {
		if strings.HasSuffix(f.RemotePath, "/run.sh") {
			cmd := exec.Command("bash", "-n")
			cmd.Stdin = strings.NewReader(string(f.Content))
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("run.sh: %v\n%s", err, out)
			}
			return
		}
	}
	t.Fatal("no run.sh staged")
}

func TestSANs(t *testing.T) {
	got := SANs(&Args{VIP: "10.0.0.10", Servers: []Server{{Address: "10.0.0.11"}, {Address: "10.0.0.10"}, {Address: "10.0.0.12"}}})
	if strings.Join(got, ",") != "10.0.0.10,10.0.0.11,10.0.0.12,127.0.0.1" {
		t.Fatalf("SANs %v", got)
	}
}
