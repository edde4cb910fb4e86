package vip

import (
	"os/exec"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"k3s-onprem/internal/golden"
	"k3s-onprem/internal/upstream"
)

func kubeVIPTestConfig() Config {
	c := testConfig(false)
	c.Implementation = ImplKubeVIP
	c.Lease = DefaultLease
	return c
}

func TestGolden_KubeVIPPod(t *testing.T) {
	c := kubeVIPTestConfig()
	for i := range c.Servers {
		steps, err := HostSteps(StepsInput{Config: c, Server: i})
		if err != nil {
			t.Fatal(err)
		}
		if len(steps) != 1 || steps[0].Name != KubeVIPStepName {
			t.Fatalf("server %d: steps %v, want only %s (no keepalived)", i, steps, KubeVIPStepName)
		}
		f := steps[0].Files[0]
		if f.Path != KubeVIPManifestPath || f.Mode != 0o600 {
			t.Errorf("server %d: %s %o, want %s 0600", i, f.Path, f.Mode, KubeVIPManifestPath)
		}
		if i == 0 {
			golden.Assert(t, "kube-vip-pod.yaml", f.Content)
		}
		if !strings.Contains(string(f.Content), "value: "+c.Servers[i].Node+"\n") {
			t.Errorf("server %d: manifest does not name its node %s", i, c.Servers[i].Node)
		}
	}
}

// TestKubeVIPPodUsesOnlyFactNames checks the rendered pod against the
// pinned kube-vip's fact table: every env name is one kube-vip reads, every
// value parses the way kube-vip parses it, and image, command and
// capabilities are the release's.
func TestKubeVIPPodUsesOnlyFactNames(t *testing.T) {
	facts, err := upstream.KubeVIP()
	if err != nil {
		t.Fatal(err)
	}
	if facts.Version != KubeVIPVersion || KubeVIPImage != facts.Image+":"+facts.Version {
		t.Fatalf("pin %s (%s), facts %s (%s)", KubeVIPVersion, KubeVIPImage, facts.Version, facts.Image)
	}
	out, err := RenderKubeVIPPod(KubeVIPConfig{Node: "server-1", Interface: "eth0", VIP: "10.0.0.100", APIPort: 6443, Lease: DefaultLease})
	if err != nil {
		t.Fatal(err)
	}
	var pod corev1.Pod
	if err := yaml.UnmarshalStrict(out, &pod); err != nil {
		t.Fatal(err)
	}
	ct := pod.Spec.Containers[0]
	env := map[string]string{}
	for _, e := range ct.Env {
		if _, dup := env[e.Name]; dup {
			t.Errorf("env %s twice", e.Name)
		}
		env[e.Name] = e.Value
	}
	for _, p := range upstream.CheckKubeVIPEnv(env) {
		t.Error(p)
	}
	if !slices.Equal(ct.Args, []string{facts.Command}) {
		t.Errorf("args %v, want [%s]", ct.Args, facts.Command)
	}
	var added []string
	for _, c := range ct.SecurityContext.Capabilities.Add {
		added = append(added, string(c))
	}
	if !slices.Equal(added, facts.Capabilities) || !pod.Spec.HostNetwork {
		t.Errorf("capabilities %v hostNetwork %v, want %v and host network", added, pod.Spec.HostNetwork, facts.Capabilities)
	}
	// The lease and the defaults the program relies on.
	for name, want := range map[string]string{"vip_leasename": facts.Defaults["vip_leasename"], "cp_namespace": facts.Defaults["cp_namespace"],
		"vip_subnet": facts.Defaults["vip_subnet"], "vip_arp": "true", "vip_leaderelection": "true", "cp_enable": "true", "svc_enable": "false",
		"vip_leaseduration": facts.Defaults["vip_leaseduration"], "vip_renewdeadline": facts.Defaults["vip_renewdeadline"], "vip_retryperiod": facts.Defaults["vip_retryperiod"],
		"k8s_config_file": KubeVIPKubeconfigPath, "address": "10.0.0.100", "port": "6443", "vip_interface": "eth0"} {
		if env[name] != want {
			t.Errorf("env %s=%q, want %q", name, env[name], want)
		}
	}
	if pod.Namespace != facts.Defaults["cp_namespace"] {
		t.Errorf("namespace %s: the lease namespace is %s", pod.Namespace, facts.Defaults["cp_namespace"])
	}
}

// TestCheckKubeVIPEnvRejects proves the fact check catches a misspelled
// name and an unparsable value.
func TestCheckKubeVIPEnvRejects(t *testing.T) {
	p := upstream.CheckKubeVIPEnv(map[string]string{"vip_leaderElection": "true", "vip_leaseduration": "15s", "vip_arp": "yes"})
	if len(p) != 3 {
		t.Fatalf("problems %q, want 3", p)
	}
}

func TestLeaseCheck(t *testing.T) {
	if p := DefaultLease.Check(); len(p) > 0 {
		t.Fatalf("default lease rejected: %v", p)
	}
	for _, l := range []Lease{{10, 10, 2}, {15, 2, 2}, {15, 10, 0}} {
		if len(l.Check()) == 0 {
			t.Errorf("lease %+v accepted; client-go would reject it", l)
		}
	}
	crash, release := DefaultLease.WorstCaseFailover()
	if crash != 17.4 || release != 2.4 {
		t.Errorf("worst case %.1f/%.1f s, want 17.4/2.4", crash, release)
	}
}

func TestRenderKubeVIPPod_Rejects(t *testing.T) {
	ok := KubeVIPConfig{Node: "s1", Interface: "eth0", VIP: "10.0.0.100", APIPort: 6443, Lease: DefaultLease}
	for name, mut := range map[string]func(*KubeVIPConfig){
		"interface": func(c *KubeVIPConfig) { c.Interface = "eth0\nx" },
		"vip":       func(c *KubeVIPConfig) { c.VIP = "fe80::1" },
		"port":      func(c *KubeVIPConfig) { c.APIPort = 0 },
		"node":      func(c *KubeVIPConfig) { c.Node = "" },
		"lease":     func(c *KubeVIPConfig) { c.Lease = Lease{5, 10, 2} },
	} {
		c := ok
		mut(&c)
		if _, err := RenderKubeVIPPod(c); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestKubeVIPScriptIsValidBash(t *testing.T) {
	if out, err := exec.Command("bash", "-n", "-c", kubeVIPScript).CombinedOutput(); err != nil {
		t.Fatalf("bash -n: %v\n%s", err, out)
	}
}
