package host

import (
	"reflect"
	"testing"

	"k3s-onprem/internal/hoststep"
)

func TestHostSteps_OrderAndSkipReasons(t *testing.T) {
	all := StepsInput{Firewall: twoNetworkServer, Hardening: Hardening{
		SSHD: true, Auditd: true, ModuleBlacklist: true, Sysctls: true, CoreDumps: true, FilePermissions: true, SELinux: "enforcing"}}
	steps, err := HostSteps(all)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range steps {
		names = append(names, s.Name)
	}
	want := []string{"packages", "kernel", "firewall", "selinux", "sshd", "auditd", "modprobe", "sysctl", "coredump", "permissions"}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("steps %v, want %v", names, want)
	}
	none := StepsInput{Firewall: twoNetworkServer, Hardening: Hardening{SELinux: "off"}}
	got := hoststep.SkipReasons(stepOrder, none.role(), none)
	wantSkips := map[string]string{
		"selinux": "hardening.selinux is off", "sshd": "hardening.sshd is off", "auditd": "hardening.auditd is off",
		"modprobe": "hardening.moduleBlacklist is off", "sysctl": "hardening.sysctls is off",
		"coredump": "hardening.coreDumps is off", "permissions": "hardening.filePermissions is off",
	}
	if !reflect.DeepEqual(got, wantSkips) {
		t.Errorf("skip reasons %v, want %v", got, wantSkips)
	}
}
