package lab_test

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"k3s-onprem/components/host"
	"k3s-onprem/internal/hoststep"
	"k3s-onprem/tests/lab/labhost"
	"k3s-onprem/tests/lab/runner"
)

// exceptionWarning is the one warning format of a container exception
// (internal/hoststep/lib.sh warn_exception).
var exceptionWarning = regexp.MustCompile(`^(\S+): warning: container exception (\S+): `)

// checkContainerExceptions asserts that the only warnings the host steps
// emitted on the lab's containers are documented container exceptions
// (host.ContainerExceptions), and that they are exactly the documented
// settings this host kernel does not already have: a key the kernel
// already holds at the wanted value is skipped, any other is warned.
func checkContainerExceptions(t *testing.T, lab *labhost.Lab, results []runner.Result) {
	documented := map[string]host.ContainerException{}
	for _, e := range host.ContainerExceptions {
		documented[e.ID()] = e
	}
	ran := map[string]map[string]bool{} // host -> steps that ran there
	for _, r := range results {
		if ran[r.Host] == nil {
			ran[r.Host] = map[string]bool{}
		}
		ran[r.Host][r.Resource[strings.LastIndex(r.Resource, "-")+1:]] = true
	}
	want := map[string][]string{} // host -> exception IDs expected to warn
	for _, n := range labNodes {
		addr := lab.Host(n.name).Addr()
		want[addr] = expectedExceptions(t, lab, n.name, ran[addr])
	}
	got := map[string][]string{}
	for _, r := range results {
		for _, line := range strings.Split(r.Stderr, "\n") {
			if !strings.Contains(line, "warning") {
				continue
			}
			m := exceptionWarning.FindStringSubmatch(line)
			if m == nil {
				t.Errorf("%s on %s: a warning that is no container exception: %s", r.Resource, r.Host, line)
				continue
			}
			if _, ok := documented[m[2]]; !ok {
				t.Errorf("%s on %s: warning for %s, which is not in host.ContainerExceptions", r.Resource, r.Host, m[2])
			}
			got[r.Host] = append(got[r.Host], m[2])
			t.Logf("%s: %s", r.Host, line)
		}
	}
	for h, w := range want {
		slices.Sort(w)
		g := got[h]
		slices.Sort(g)
		if !slices.Equal(g, w) {
			t.Errorf("%s: container exceptions warned:\n  %v\nwant (documented and not already set by the host kernel):\n  %v", h, g, w)
		}
	}
}

// expectedExceptions reads, on the host, each documented setting the steps
// make: a sysctl key that is missing or differs, a module without a
// /sys/module entry, auditd not running.
func expectedExceptions(t *testing.T, lab *labhost.Lab, name string, ran map[string]bool) []string {
	t.Helper()
	wanted := map[string]string{}
	if ran["kernel"] {
		for _, s := range host.K3sSysctls {
			wanted[s.Key] = s.Value
		}
	}
	if ran["sysctl"] {
		for _, s := range host.HardeningSysctls {
			wanted[s.Key] = s.Value
		}
	}
	var ids []string
	for _, e := range host.ContainerExceptions {
		var probe string
		switch e.Kind {
		case "sysctl":
			if _, ok := wanted[e.Name]; !ok {
				continue
			}
			path := "/proc/sys/" + strings.ReplaceAll(e.Name, ".", "/")
			probe = fmt.Sprintf("test \"$(cat %s 2>/dev/null | xargs)\" = %s", path, wanted[e.Name])
		case "module":
			if !ran["kernel"] {
				continue
			}
			probe = "test -d /sys/module/" + e.Name
		case "service":
			if !ran[e.Name] {
				continue
			}
			probe = "systemctl is-active -q " + e.Name
		default:
			t.Fatalf("unknown exception kind %q", e.Kind)
		}
		if _, _, err := lab.Run(name, probe, nil); err != nil {
			ids = append(ids, e.ID())
		}
	}
	return ids
}

// checkFailuresNotMasked runs the program's own sysctl step with one key
// changed, on a container: a misspelled key fails the step, and so does a
// kernel-wide key that is not a documented exception (the exceptions are a
// list, not "anything goes in a container").
func checkFailuresNotMasked(t *testing.T, lab *labhost.Lab, name string) {
	swappiness := strings.TrimSpace(lab.MustRun(t, name, "cat /proc/sys/vm/swappiness"))
	other := "10"
	if swappiness == "10" {
		other = "11"
	}
	for _, c := range []struct {
		what  string
		extra host.Sysctl
		error string
	}{
		{"misspelled key", host.Sysctl{Key: "net.ipv4.tcp_syncookie", Value: "1"}, "error: unknown sysctl key net.ipv4.tcp_syncookie"},
		{"kernel-wide key not on the list", host.Sysctl{Key: "vm.swappiness", Value: other}, "error: cannot set vm.swappiness=" + other},
	} {
		step := hardeningSysctlStep(t, c.extra)
		res, err := runner.RunStep(lab, name, step, nil)
		if err == nil {
			t.Errorf("%s: the sysctl step succeeded:\n%s", c.what, res.Stderr)
			continue
		}
		if !strings.Contains(res.Stderr, c.error) {
			t.Errorf("%s: the step failed (%v) without %q:\n%s", c.what, err, c.error, res.Stderr)
		}
		t.Logf("%s: step failed as it must: %s", c.what, lastErrorLine(res.Stderr))
	}
	// Put the program's own file back for the later subtests.
	if _, err := runner.RunStep(lab, name, hardeningSysctlStep(t), nil); err != nil {
		t.Fatalf("the unchanged sysctl step: %v", err)
	}
}

// hardeningSysctlStep is the program's sysctl step with extra keys appended
// to its file; its script and exception list are the program's.
func hardeningSysctlStep(t *testing.T, extra ...host.Sysctl) hoststep.Step {
	t.Helper()
	steps, err := host.HostSteps(host.StepsInput{Hardening: host.Hardening{Sysctls: true, SELinux: "off"},
		Firewall: host.FirewallInput{InternalInterface: "eth0", ClusterCIDR: "10.42.0.0/16", ServiceCIDR: "10.43.0.0/16"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range steps {
		if s.Name != "sysctl" {
			continue
		}
		if len(extra) > 0 {
			content, err := host.RenderSysctl("CIS 3.x network and kernel hardening (safe subset)", append(append([]host.Sysctl{}, host.HardeningSysctls...), extra...))
			if err != nil {
				t.Fatal(err)
			}
			s.Files = []hoststep.File{{Path: s.Files[0].Path, Mode: s.Files[0].Mode, Content: content}}
		}
		return s
	}
	t.Fatal("host.HostSteps has no sysctl step")
	return hoststep.Step{}
}

func lastErrorLine(stderr string) string {
	for _, l := range slices.Backward(strings.Split(strings.TrimSpace(stderr), "\n")) {
		if strings.Contains(l, "error:") {
			return l
		}
	}
	return ""
}
