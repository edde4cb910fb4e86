package responder

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"k3s-onprem/internal/golden"
	core "k3s-onprem/internal/responder"
)

func TestGolden_Unit(t *testing.T) {
	max := core.DefaultConfig().Connections.Max
	b, err := RenderUnit(UnitInput{Port: 2801, MaxConnections: max})
	if err != nil {
		t.Fatal(err)
	}
	golden.Assert(t, "k3s-onprem-responder.service", b)
	for _, want := range []string{"DynamicUser=yes", "User=" + ServiceUser, "NoNewPrivileges=yes", "ProtectSystem=strict", "CapabilityBoundingSet=\n", "LoadCredential=secret:" + CredentialDir + "/secret", fmt.Sprintf("LimitNOFILE=%d\n", LimitNOFILE(max))} {
		if !strings.Contains(string(b), want) {
			t.Errorf("unit lacks %q", want)
		}
	}
}

// The unit's file limit follows the listener's connection cap: every
// admitted connection fits, with room for the API client and files, so the
// listener (which displaces idle connections) and not the kernel decides.
func TestUnit_FileLimitFollowsConnectionCap(t *testing.T) {
	for _, max := range []int{64, 1024, 4096} {
		b, err := RenderUnit(UnitInput{Port: 2801, MaxConnections: max})
		if err != nil {
			t.Fatal(err)
		}
		var got int
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "LimitNOFILE="); ok {
				got, _ = strconv.Atoi(v)
			}
		}
		if got < max+128 {
			t.Errorf("connections.max %d: LimitNOFILE %d leaves no headroom", max, got)
		}
	}
	if _, err := RenderUnit(UnitInput{Port: 2801}); err == nil {
		t.Error("a unit without a connection cap was rendered")
	}
}

func TestGolden_Token(t *testing.T) {
	script, unit, timer, sysusers, err := RenderToken(TokenInput{Namespace: "falco-responder"})
	if err != nil {
		t.Fatal(err)
	}
	golden.Assert(t, "responder-token.sh", script)
	golden.Assert(t, "k3s-onprem-responder-token.service", unit)
	golden.Assert(t, "k3s-onprem-responder-token.timer", timer)
	golden.Assert(t, "k3s-onprem-responder.sysusers.conf", sysusers)
	cmd := exec.Command("bash", "-n")
	cmd.Stdin = strings.NewReader(string(script))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("token script: %v\n%s", err, out)
	}
	// The TokenRequest API, a bounded lifetime, and the token only on
	// stdout into the file: never the legacy Secret, never an argument.
	for _, want := range []string{"create token " + ServiceAccount + " --duration=" + TokenLifetime, `>"$tmp"`, "set -euo pipefail"} {
		if !strings.Contains(string(script), want) {
			t.Errorf("token script lacks %q", want)
		}
	}
	if strings.Contains(string(script), "get secret") {
		t.Error("token script reads a token Secret")
	}
}

func TestGolden_FirewallPolicy(t *testing.T) {
	b, err := RenderFirewallPolicy(2801)
	if err != nil {
		t.Fatal(err)
	}
	golden.Assert(t, "k3s-onprem-responder.policy.xml", b)
}

// firewalld refuses a policy whose name is longer than 18 characters
// (see PolicyName); the name is the file name and the <short> element.
func TestFirewallPolicyNameFitsFirewalld(t *testing.T) {
	const firewalldMaxPolicyName = 18
	if len(PolicyName) > firewalldMaxPolicyName {
		t.Errorf("policy name %q has %d characters, firewalld accepts %d", PolicyName, len(PolicyName), firewalldMaxPolicyName)
	}
	if filepath.Base(PolicyPath) != PolicyName+".xml" {
		t.Errorf("policy file %s is not named after the policy %s", PolicyPath, PolicyName)
	}
}

func TestGolden_Config(t *testing.T) {
	b, err := RenderConfig(ConfigInput{Namespace: "falco-responder", ProtectedNamespaces: []string{"falco", "falco-system", "metallb-system"}, AllowNamespaces: []string{"ci"}})
	if err != nil {
		t.Fatal(err)
	}
	golden.Assert(t, "config.yaml", b)
	c, err := core.ParseConfig(b)
	if err != nil {
		t.Fatal(err)
	}
	if c.OwnNamespace != "falco-responder" || len(c.Allow.Namespaces) != 1 || len(c.ProtectedNamespacesExtra) != 3 || len(c.Responses[0].Rules) != len(core.DefaultConfig().Responses[0].Rules) {
		t.Fatalf("round trip lost settings: %+v", c)
	}
}

func TestRenderConfig_RejectsBadAllowList(t *testing.T) {
	if _, err := RenderConfig(ConfigInput{Namespace: "falco-responder", AllowNamespaces: []string{"Not_A_Namespace"}}); err == nil {
		t.Fatal("an invalid namespace reached the rendered config")
	}
}

func TestHostSteps_ScriptIsBash(t *testing.T) {
	steps, err := HostSteps(StepsInput{Port: 2801, Namespace: "falco-responder", BinarySHA256: strings.Repeat("ab", 32)})
	if err != nil {
		t.Fatal(err)
	}
	if len(steps) != 1 {
		t.Fatalf("%d steps, want the one %s step", len(steps), StepName)
	}
	s := steps[0]
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
