package vip

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi-command/sdk/go/command/remote"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"k3s-onprem/internal/hoststep"
	"k3s-onprem/internal/hoststep/steptest"
	"k3s-onprem/internal/plan"
)

const testPass = "unitPa55"

// planVIP runs NewVIP under mocks on the test config's servers, each after
// a stand-in for its host's last step; members overrides the wiring.
func planVIP(t *testing.T, members func([]Member) []Member) (*plan.Plan, error) {
	t.Helper()
	c := testConfig(true)
	return plan.Run("k3s-onprem", "unit", map[string]string{}, nil, func(ctx *pulumi.Context) error {
		var ms []Member
		for _, s := range c.Servers {
			conn := remote.ConnectionArgs{Host: pulumi.String(s.Address), HostKey: pulumi.String("ssh-ed25519 AAAAunit")}
			ready, err := remote.NewCommand(ctx, s.Node+"-host-ready", &remote.CommandArgs{Connection: conn, Create: pulumi.String("true")})
			if err != nil {
				return err
			}
			ms = append(ms, Member{Target: hoststep.Target{Node: s.Node, Connection: conn}, After: []pulumi.Resource{ready}})
		}
		if members != nil {
			ms = members(ms)
		}
		_, err := NewVIP(ctx, "unit-vip", &Args{Config: c, Members: ms,
			AuthPass: pulumi.ToSecret(pulumi.String(testPass)).(pulumi.StringOutput)})
		return err
	})
}

func TestNewVIP_KeepalivedOnEveryServerAfterItsHost(t *testing.T) {
	p, err := planVIP(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	comp := p.Named("k3s-onprem:vip:VIP", "unit-vip")
	if comp == nil {
		t.Fatal("no VIP component")
	}
	if got := plan.Str(comp.Inputs, "address"); got != "192.168.122.100" {
		t.Errorf("recorded address %q", got)
	}
	for i, s := range serverSteps(t, testConfig(true)) {
		node := testConfig(true).Servers[i].Node
		ready := p.Named("command:remote:Command", node+"-host-ready")
		cmd := steptest.Applied(t, p, node, s, comp.URN, []string{ready.URN}, false)
		steptest.SecretInput(t, cmd, "stdin")
		if stdin, _ := plan.Plain(cmd.Inputs["stdin"]).(string); stdin != testPass+"\n" {
			t.Errorf("%s: stdin %q, want the password", node, stdin)
		}
	}
	if n := len(p.OfType("command:remote:Command")); n != 3*3 {
		t.Errorf("%d commands, want a host stand-in, a stage and a keepalived step per server", n)
	}
	steptest.NoneInClear(t, p, testPass)
}

func TestNewVIP_RefusesMembersOutOfStepWithServers(t *testing.T) {
	for name, tc := range map[string]struct {
		members func([]Member) []Member
		want    string
	}{
		"missing":   {func(ms []Member) []Member { return ms[:2] }, "2 members for 3 servers"},
		"reordered": {func(ms []Member) []Member { ms[0], ms[1] = ms[1], ms[0]; return ms }, `member 0 is "server-2"`},
	} {
		if _, err := planVIP(t, tc.members); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", name, err, tc.want)
		}
	}
}
