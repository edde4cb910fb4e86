package host

import (
	"testing"

	"github.com/pulumi/pulumi-command/sdk/go/command/remote"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"k3s-onprem/internal/hoststep/steptest"
	"k3s-onprem/internal/plan"
)

const testKey = "-----BEGIN OPENSSH PRIVATE KEY-----\nunit-host-key\n"

var testStepsInput = StepsInput{Firewall: twoNetworkServer, Hardening: Hardening{SSHD: true, Sysctls: true, SELinux: "off", PermitRootLogin: "no"}}

// planHost runs NewHost alone under mocks for one server.
func planHost(t *testing.T, sudo bool) *plan.Plan {
	t.Helper()
	p, err := plan.Run("k3s-onprem", "unit", map[string]string{}, nil, func(ctx *pulumi.Context) error {
		_, err := NewHost(ctx, "s1", &Args{
			Node: "s1", Role: "server", Sudo: sudo, Steps: testStepsInput,
			Connection: remote.ConnectionArgs{
				Host: pulumi.String("10.0.0.1"), User: pulumi.String("admin"),
				PrivateKey: pulumi.ToSecret(pulumi.String(testKey)).(pulumi.StringOutput),
				HostKey:    pulumi.String("ssh-ed25519 AAAAunit"),
			},
		})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestNewHost_ChainsEveryStepUnderTheComponent(t *testing.T) {
	for _, sudo := range []bool{false, true} {
		p := planHost(t, sudo)
		comp := p.Named("k3s-onprem:host:Host", "s1")
		if comp == nil {
			t.Fatal("no Host component")
		}
		if plan.Str(comp.Inputs, "role") != "server" {
			t.Errorf("component inputs not recorded: %v", comp.Inputs)
		}
		steps, err := HostSteps(testStepsInput)
		if err != nil {
			t.Fatal(err)
		}
		var after []string
		for _, s := range steps {
			cmd := steptest.Applied(t, p, "s1", s, comp.URN, after, sudo)
			after = []string{cmd.URN}
		}
		// Steps switched off register nothing.
		for _, off := range []string{"auditd", "modprobe", "coredump", "permissions", "selinux"} {
			if p.Named("command:remote:Command", "s1-"+off) != nil {
				t.Errorf("sudo=%v: step %s registered although it is off", sudo, off)
			}
		}
		if n := len(p.OfType("command:remote:Command")); n != 2*len(steps) {
			t.Errorf("sudo=%v: %d commands, want a stage and a command for each of %d steps", sudo, n, len(steps))
		}
	}
}

func TestNewHost_KeyStaysSecret(t *testing.T) {
	p := planHost(t, true)
	for _, typ := range []string{"command:remote:Command", "command:remote:CopyToRemote"} {
		for _, r := range p.OfType(typ) {
			steptest.SecretInput(t, r, "connection")
		}
	}
	steptest.NoneInClear(t, p, "unit-host-key")
}
