package host

import (
	"strings"
	"testing"
)

// Every container exception names a setting a step makes, once, with a
// reason; the steps receive exactly their own exceptions.
func TestContainerExceptions_Documented(t *testing.T) {
	made := map[string]bool{"service:auditd": true}
	for _, s := range append(append([]Sysctl{}, K3sSysctls...), HardeningSysctls...) {
		made["sysctl:"+s.Key] = true
	}
	for _, m := range K3sModules {
		made["module:"+m] = true
	}
	seen := map[string]bool{}
	for _, e := range ContainerExceptions {
		if !made[e.ID()] {
			t.Errorf("%s: no step makes this setting", e.ID())
		}
		if seen[e.ID()] {
			t.Errorf("%s: listed twice", e.ID())
		}
		seen[e.ID()] = true
		if strings.TrimSpace(e.Reason) == "" {
			t.Errorf("%s: no reason", e.ID())
		}
		if e.Kind == "sysctl" && strings.HasPrefix(e.Name, "net.") && e.Reason != reasonInitNetOnly {
			t.Errorf("%s: net.* keys are per network namespace; a container must set them", e.ID())
		}
	}
	steps, err := HostSteps(StepsInput{Firewall: twoNetworkServer, Hardening: Hardening{Auditd: true, Sysctls: true, SELinux: "off"}})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, s := range steps {
		got[s.Name] = s.Vars["CONTAINER_EXCEPTIONS"]
	}
	if !strings.Contains(got["kernel"], "module:br_netfilter") || !strings.Contains(got["kernel"], "sysctl:vm.overcommit_memory") || strings.Contains(got["kernel"], "fs.") {
		t.Errorf("kernel step exceptions: %q", got["kernel"])
	}
	if got["auditd"] != "service:auditd" {
		t.Errorf("auditd step exceptions: %q", got["auditd"])
	}
	if !strings.Contains(got["sysctl"], "sysctl:net.core.bpf_jit_harden") || strings.Contains(got["sysctl"], "vm.") {
		t.Errorf("sysctl step exceptions: %q", got["sysctl"])
	}
}
