// Package lab_test runs the program's own host steps (recorded from a mocked
// run of the dev stack pointed at lab hosts) on real systemd hosts over SSH,
// and checks the result from outside the hosts.
package lab_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"k3s-onprem/components/host"
	"k3s-onprem/components/k3s"
	"k3s-onprem/internal/plan"
	"k3s-onprem/stacks"
	"k3s-onprem/tests/lab/labhost"
	"k3s-onprem/tests/lab/runner"
)

// labNodes are the dev stack's first server and its agent, each with an
// internal (eth0) and an external (eth1) address: the two-network layout.
var labNodes = []struct {
	name, role, internal, external string
}{
	{"dev-server-1", stacks.RoleServer, "10.203.0.11", "10.204.0.11"},
	{"dev-agent-1", stacks.RoleAgent, "10.203.0.21", "10.204.0.21"},
}

// planForLab runs the dev stack under mocks with the lab's hosts, host keys
// and operator key, in the two-network layout.
func planForLab(t *testing.T, lab *labhost.Lab) *plan.Plan {
	t.Helper()
	var nodes []map[string]any
	for _, n := range labNodes {
		nodes = append(nodes, map[string]any{
			"name": n.name, "role": n.role, "internalAddress": n.internal,
			"externalAddress": n.external, "externalInterface": "eth1",
			"ssh": map[string]any{"hostKey": lab.Host(n.name).HostKey},
		})
	}
	nodesJSON, _ := json.Marshal(nodes)
	p, err := stacks.PlanStack("../..", "dev", func(raw map[string]string) {
		raw["nodes"] = string(nodesJSON)
		raw["network"] = `{"internalCidr": "10.203.0.0/24", "externalCidr": "10.204.0.0/24", "publicPorts": [80, 443]}`
		raw[stacks.KeySSHPrivateKey] = string(lab.ClientKeyPEM())
		raw["ssh"] = `{"user": "root"}`
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// hostLevel selects what can run without a k3s binary (none can be
// obtained here): every host step, and the k3s token and config steps.
// Steps that download or start k3s, wait for it, or need the cluster are
// left out; the unit is checked with systemd-analyze below instead.
func hostLevel(t *testing.T) func(r *plan.Resource) bool {
	steps, err := host.HostSteps(host.StepsInput{Hardening: host.Hardening{
		SSHD: true, Auditd: true, ModuleBlacklist: true, Sysctls: true, CoreDumps: true, FilePermissions: true, SELinux: "enforcing",
	}, Firewall: host.FirewallInput{InternalInterface: "eth0", ClusterCIDR: "10.42.0.0/16", ServiceCIDR: "10.43.0.0/16"}})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{k3s.StepToken: true, k3s.StepConfig: true}
	for _, s := range steps {
		want[s.Name] = true
	}
	return func(r *plan.Resource) bool {
		for _, n := range labNodes {
			if step, ok := strings.CutPrefix(r.Name, n.name+"-"); ok && want[step] {
				return true
			}
		}
		return false
	}
}

func TestLab_HostStepsConvergeAndEnforce(t *testing.T) {
	var specs []labhost.HostSpec
	for _, n := range labNodes {
		specs = append(specs, labhost.HostSpec{Name: n.name, Addresses: []string{n.internal, n.external}})
	}
	lab := labhost.Start(t, specs)
	p := planForLab(t, lab)
	include := hostLevel(t)

	start := time.Now()
	first, err := runner.Apply(p, lab, runner.Options{Include: include})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("first run: %d steps in %s", len(first), time.Since(start).Round(time.Millisecond))
	changed := 0
	for _, r := range first {
		if r.Changed {
			changed++
		}
	}
	if changed == 0 {
		t.Fatal("the first run changed nothing")
	}

	t.Run("container exceptions", func(t *testing.T) {
		checkContainerExceptions(t, lab, first)
	})

	t.Run("failures are not masked", func(t *testing.T) {
		checkFailuresNotMasked(t, lab, labNodes[0].name)
	})

	t.Run("idempotent", func(t *testing.T) {
		start := time.Now()
		second, err := runner.Apply(p, lab, runner.Options{Include: include})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("second run: %d steps in %s", len(second), time.Since(start).Round(time.Millisecond))
		if len(second) != len(first) {
			t.Fatalf("second run ran %d steps, first %d", len(second), len(first))
		}
		for _, r := range second {
			if r.Changed {
				t.Errorf("%s changed something on the second run:\n%s%s", r.Resource, r.Stdout, r.Stderr)
			}
		}
	})

	t.Run("firewall", func(t *testing.T) {
		for _, n := range labNodes {
			checkFirewallMatrix(t, lab, n.name, n.role == stacks.RoleServer, n.internal, n.external)
			zone := strings.TrimSpace(lab.MustRun(t, n.name, "firewall-cmd --get-zone-of-interface=eth1"))
			if zone != "public" {
				t.Errorf("%s: eth1 is in zone %q, want public", n.name, zone)
			}
			if svc := strings.TrimSpace(lab.MustRun(t, n.name, "firewall-cmd --zone=public --list-services")); svc != "" {
				t.Errorf("%s: public zone services %q, want none (no SSH)", n.name, svc)
			}
		}
	})

	t.Run("kernel", func(t *testing.T) {
		for _, n := range labNodes {
			for key, want := range map[string]string{
				"net.ipv4.ip_forward": "1", "net.bridge.bridge-nf-call-iptables": "1",
				"net.ipv4.conf.all.send_redirects": "0", "net.ipv4.conf.all.accept_redirects": "0",
				"net.ipv4.conf.all.log_martians": "1", "net.ipv4.tcp_syncookies": "1",
			} {
				if got := strings.TrimSpace(lab.MustRun(t, n.name, "sysctl -n "+key)); got != want {
					t.Errorf("%s: %s = %s, want %s", n.name, key, got, want)
				}
			}
			// br_netfilter may be built in (then it has no /sys/module
			// entry): check what k3s needs from each module instead.
			lab.MustRun(t, n.name, "test -e /proc/sys/net/bridge/bridge-nf-call-iptables && grep -qw overlay /proc/filesystems")
			lab.MustRun(t, n.name, "grep -qx br_netfilter /etc/modules-load.d/k3s-onprem.conf && grep -qx overlay /etc/modules-load.d/k3s-onprem.conf")
			lab.MustRun(t, n.name, "grep -qx 'install cramfs /bin/false' /etc/modprobe.d/k3s-onprem-blacklist.conf")
		}
	})

	t.Run("sshd", func(t *testing.T) {
		for _, n := range labNodes {
			lab.MustRun(t, n.name, "sshd -t")
			if got := lab.MustRun(t, n.name, "sshd -T | grep -E '^(passwordauthentication|permitrootlogin|x11forwarding) '"); !strings.Contains(got, "passwordauthentication no") || !strings.Contains(got, "permitrootlogin without-password") {
				t.Errorf("%s: effective sshd config:\n%s", n.name, got)
			}
			// A fresh connection proves the operator is not locked out.
			key, err := lab.HostPublicKey(n.name)
			if err != nil {
				t.Fatal(err)
			}
			c, err := lab.SSHDial(n.internal, key, 10*time.Second)
			if err != nil {
				t.Fatalf("%s: operator locked out after hardening: %v", n.name, err)
			}
			c.Close()
		}
	})

	t.Run("k3s files", func(t *testing.T) {
		for _, n := range labNodes {
			files := []string{"0600 " + k3s.ConfigPath, "0600 " + k3s.AgentTokenPath}
			if n.role == stacks.RoleServer {
				files = append(files, "0600 "+k3s.TokenPath)
			}
			for _, f := range files {
				mode, path, _ := strings.Cut(f, " ")
				got := strings.TrimSpace(lab.MustRun(t, n.name, "stat -c '0%a %U' "+path))
				if got != mode+" root" {
					t.Errorf("%s: %s is %s, want %s root", n.name, path, got, mode)
				}
			}
			// The token reached the host through stdin: it is in the file
			// and in no staged file or command line.
			if out := lab.MustRun(t, n.name, "grep -rl "+plan.MockSecretPrefix+" /var/lib/k3s-onprem/steps || true"); strings.TrimSpace(out) != "" {
				t.Errorf("%s: token found in staged files: %s", n.name, out)
			}
		}
	})
}

// The unit the k3s-service step would install passes systemd-analyze verify
// on a real systemd host; the only finding allowed is the k3s binary that
// cannot be obtained here.
func TestLab_K3sUnitsVerify(t *testing.T) {
	lab := labhost.Start(t, []labhost.HostSpec{{Name: "dev-server-1", Addresses: []string{"10.203.0.11"}}})
	p, err := stacks.PlanStack("../..", "dev", nil)
	if err != nil {
		t.Fatal(err)
	}
	units := 0
	for _, r := range p.OfType("command:remote:CopyToRemote") {
		remotePath, content, err := plan.CopiedFile(r)
		if err != nil || !strings.HasSuffix(remotePath, ".service") || !strings.Contains(remotePath, "/"+k3s.StepService+"/") {
			continue
		}
		unit := remotePath[strings.LastIndex(remotePath, "/")+1:]
		if err := lab.Upload("dev-server-1", "/etc/systemd/system/"+unit, content); err != nil {
			t.Fatal(err)
		}
		out, errOut, err := lab.Run("dev-server-1", "systemd-analyze verify /etc/systemd/system/"+unit+" 2>&1", nil)
		// A non-zero exit is systemd-analyze's verdict (read below); any
		// other error means it never ran, which proves nothing.
		var exit *ssh.ExitError
		if err != nil && !errors.As(err, &exit) {
			t.Fatalf("%s: systemd-analyze verify did not run: %v", unit, err)
		}
		var findings, missingBinary []string
		for _, line := range strings.Split(strings.TrimSpace(out+errOut), "\n") {
			switch {
			case line == "":
			case strings.Contains(line, "/usr/local/bin/k3s"):
				missingBinary = append(missingBinary, line)
			default:
				findings = append(findings, line)
			}
		}
		if exit != nil && len(findings) == 0 && len(missingBinary) == 0 {
			t.Errorf("%s: systemd-analyze verify exited %d without saying why", unit, exit.ExitStatus())
		}
		if len(findings) > 0 {
			t.Errorf("%s (%s): systemd-analyze verify:\n%s", unit, r.Name, strings.Join(findings, "\n"))
		}
		units++
	}
	if units < 2 {
		t.Fatalf("verified %d units, want the server and agent units", units)
	}
}
