package stacks

import (
	"strings"
	"testing"

	"k3s-onprem/components/k3s"
	"k3s-onprem/components/vip"
	"k3s-onprem/internal/hoststep"
	"k3s-onprem/internal/plan"
)

// kubeVIPProd is the prod stack with vip.implementation: kube-vip.
func kubeVIPProd(raw map[string]string) {
	raw["vip"] = `{"address": "192.168.122.100", "interface": "eth0", "implementation": "kube-vip"}`
}

// TestGraph_KubeVIP: with kube-vip no keepalived step and no VRRP password
// exist and no server's internal zone accepts VRRP; each server's kube-vip
// step runs after its own k3s health gate (it elects through that server's
// API server) and not before the previous server joined; agents and the
// kubeconfig wait for every kube-vip step (the VIP answers), and the
// servers still join the first server's address, not the VIP.
func TestGraph_KubeVIP(t *testing.T) {
	p := planStack(t, "prod", kubeVIPProd)
	spec := prodSpec(t)
	servers, agents := spec.Servers(), spec.Agents()
	if p.Named("random:index/randomPassword:RandomPassword", "prod-vip-auth-pass") != nil {
		t.Error("a VRRP password is generated for kube-vip")
	}
	for i, n := range servers {
		if p.Named(cmdType, n.Name+"-"+vip.StepName) != nil {
			t.Errorf("%s runs keepalived", n.Name)
		}
		kv := mustCmd(t, p, n.Name+"-"+vip.KubeVIPStepName)
		gate := mustCmd(t, p, n.Name+"-"+k3s.StepGate)
		if !contains(kv.DependsOn, gate.URN) {
			t.Errorf("%s does not wait for %s", kv.Name, gate.Name)
		}
		if i+1 < len(servers) {
			next := mustCmd(t, p, servers[i+1].Name+"-"+k3s.StepToken)
			if p.DependsOnTransitively(next.URN, kv.URN) {
				t.Errorf("%s waits for %s: servers join the first server's address, not the VIP", next.Name, kv.Name)
			}
		}
		pod := copiedFile(t, p, n.Name+"-"+vip.KubeVIPStepName, vip.KubeVIPManifestPath)
		for _, want := range []string{"namespace: kube-system", "value: " + n.Name + "\n", "value: " + spec.VIP.Address + "\n", vip.KubeVIPImage} {
			if !strings.Contains(pod, want) {
				t.Errorf("%s: static pod lacks %q", n.Name, want)
			}
		}
		if zone := copiedFile(t, p, n.Name+"-firewall", "/etc/firewalld/zones/internal.xml"); strings.Contains(zone, "vrrp") {
			t.Errorf("%s: internal zone accepts VRRP with kube-vip:\n%s", n.Name, zone)
		}
		if cfg := copiedFile(t, p, n.Name+"-"+k3s.StepConfig, k3s.ConfigPath); !strings.Contains(cfg, spec.VIP.Address) {
			t.Errorf("%s: the VIP is not in tls-san:\n%s", n.Name, cfg)
		}
	}
	kc := mustCmd(t, p, servers[0].Name+"-"+k3s.StepKubeconfig)
	for _, s := range servers {
		kv := mustCmd(t, p, s.Name+"-"+vip.KubeVIPStepName)
		if !contains(kc.DependsOn, kv.URN) {
			t.Errorf("%s is read before %s", kc.Name, kv.Name)
		}
		for _, a := range agents {
			if vg := mustCmd(t, p, a.Name+"-"+k3s.StepVIPGate); !contains(vg.DependsOn, kv.URN) {
				t.Errorf("%s does not wait for %s", vg.Name, kv.Name)
			}
		}
	}
	// Its run.sh defines every variable it reads (set -u).
	scripts := 0
	for _, r := range p.OfType("command:remote:CopyToRemote") {
		path, content, err := plan.CopiedFile(r)
		if err != nil || !strings.HasSuffix(path, "/"+vip.KubeVIPStepName+"/run.sh") {
			continue
		}
		scripts++
		if unset := hoststep.UnsetVariables(string(content)); len(unset) > 0 {
			t.Errorf("%s reads %v, which it never defines", r.Name, unset)
		}
	}
	if scripts != len(servers) {
		t.Errorf("%d kube-vip scripts, want %d", scripts, len(servers))
	}
	// The default stack keeps keepalived and VRRP.
	def := planStack(t, "prod", nil)
	if zone := copiedFile(t, def, servers[0].Name+"-firewall", "/etc/firewalld/zones/internal.xml"); !strings.Contains(zone, "vrrp") {
		t.Errorf("keepalived stack: internal zone lacks VRRP")
	}
	if def.Named(cmdType, servers[0].Name+"-"+vip.KubeVIPStepName) != nil {
		t.Error("keepalived stack runs kube-vip")
	}
}
