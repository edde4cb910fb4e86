package host

import (
	"strings"
	"testing"

	"k3s-onprem/internal/golden"
)

var twoNetworkServer = FirewallInput{
	Server: true, InternalInterface: "eth0", ExternalInterface: "eth1",
	ClusterCIDR: "10.43.0.0/16", ServiceCIDR: "10.44.0.0/16", PublicPorts: []int{80, 443}, APIOnPublic: true,
}

func TestGolden_Zones(t *testing.T) {
	cases := map[string]FirewallInput{
		"zones-two-network-server": twoNetworkServer,
		"zones-single-network-agent": {
			InternalInterface: "ens3", ClusterCIDR: "10.42.0.0/16", ServiceCIDR: "10.43.0.0/16", PublicPorts: []int{80, 443},
		},
	}
	for name, in := range cases {
		internal, public, err := RenderZones(in)
		if err != nil {
			t.Fatal(err)
		}
		golden.Assert(t, name+"-internal.xml", internal)
		golden.Assert(t, name+"-public.xml", public)
	}
}

func TestGolden_HostFiles(t *testing.T) {
	k3s, err := RenderSysctl("sysctls required by k3s and protect-kernel-defaults", K3sSysctls)
	if err != nil {
		t.Fatal(err)
	}
	golden.Assert(t, "90-k3s-onprem.conf", k3s)
	hard, err := RenderSysctl("CIS 3.x network and kernel hardening (safe subset)", HardeningSysctls)
	if err != nil {
		t.Fatal(err)
	}
	golden.Assert(t, "95-k3s-onprem-hardening.conf", hard)
	golden.Assert(t, "modules-load.conf", RenderModulesLoad(K3sModules))
	golden.Assert(t, "modprobe-blacklist.conf", RenderModprobeBlacklist(BlacklistedModules))
	sshd, err := RenderSSHD("prohibit-password")
	if err != nil {
		t.Fatal(err)
	}
	golden.Assert(t, "sshd-00-k3s-onprem.conf", sshd)
	rules, err := RenderAuditRules()
	if err != nil {
		t.Fatal(err)
	}
	golden.Assert(t, "50-k3s-onprem.rules", rules)
}

// The blog's port matrix: etcd only on servers, SSH never on the public zone.
func TestZones_PortMatrix(t *testing.T) {
	internal, public, err := RenderZones(twoNetworkServer)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`port="2379-2380"`, `port="6443"`, `port="8472"`, `port="10250-10255"`, `port="30000-32767"`, `port="7946"`, `<service name="ssh"></service>`, `<protocol value="vrrp"></protocol>`, `source address="10.43.0.0/16"`, `source address="10.44.0.0/16"`} {
		if !strings.Contains(string(internal), want) {
			t.Errorf("internal zone lacks %s", want)
		}
	}
	if strings.Contains(string(public), "ssh") {
		t.Error("public zone exposes SSH")
	}
	for _, want := range []string{`port="80"`, `port="443"`, `port="6443"`, `<interface name="eth1"></interface>`} {
		if !strings.Contains(string(public), want) {
			t.Errorf("public zone lacks %s", want)
		}
	}
	agent := twoNetworkServer
	agent.Server = false
	internal, _, _ = RenderZones(agent)
	if strings.Contains(string(internal), "2379") || strings.Contains(string(internal), "vrrp") {
		t.Error("agent opens etcd or VRRP")
	}
}

// Every step script must parse with bash -n after lib.sh is prepended.
func TestSteps_ScriptsParse(t *testing.T) {
	steps, err := HostSteps(StepsInput{Firewall: twoNetworkServer, Hardening: Hardening{
		SSHD: true, Auditd: true, ModuleBlacklist: true, Sysctls: true, CoreDumps: true, FilePermissions: true,
		SELinux: "enforcing", PermitRootLogin: "no",
	}})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range steps {
		names = append(names, s.Name)
		bashSyntaxCheck(t, s.Name, s)
	}
	if got := strings.Join(names, ","); got != "packages,kernel,firewall,selinux,sshd,auditd,modprobe,sysctl,coredump,permissions" {
		t.Errorf("step order: %s", got)
	}
}

func TestSteps_SwitchesTurnPartsOff(t *testing.T) {
	steps, err := HostSteps(StepsInput{Firewall: twoNetworkServer, Hardening: Hardening{SELinux: "off"}})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range steps {
		names = append(names, s.Name)
	}
	if got := strings.Join(names, ","); got != "packages,kernel,firewall" {
		t.Errorf("with every hardening switch off, steps are %s", got)
	}
}
