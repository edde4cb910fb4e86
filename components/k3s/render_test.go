package k3s

import (
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"k3s-onprem/internal/golden"
)

// versions are the PSP era, PSA without the 1.29 flags, the stacks' pin,
// and the newest stable (whose flags and hardening set are those of 1.34).
var versions = map[string]string{"1.24": "v1.24.17+k3s1", "1.28": "v1.28.15+k3s1", "1.34": "v1.34.4+k3s1", "1.36": "v1.36.4+k3s1"}

func testCluster(version string) ClusterConfig {
	return ClusterConfig{
		Version:      version,
		InternalCIDR: "192.168.122.0/24",
		ClusterCIDR:  "10.43.0.0/16",
		ServiceCIDR:  "10.44.0.0/16",
		VIP:          "192.168.122.100",
		ExtraTLSSANs: []string{"k3s.example.internal"},
		HasAgents:    true,
		SELinux:      true,
		PodSecurity: PodSecurity{Enforce: "restricted", Exemptions: []Exemption{
			{Namespace: "metallb-system", Reason: "MetalLB speakers need hostNetwork and NET_RAW"},
		}},
	}
}

var (
	server0 = NodeConfig{Name: "server-1", Role: RoleServer, InternalAddress: "192.168.122.11", InternalInterface: "eth0"}
	server1 = NodeConfig{Name: "server-2", Role: RoleServer, InternalAddress: "192.168.122.12", InternalInterface: "eth0", JoinAddress: "192.168.122.11"}
	agent   = NodeConfig{Name: "agent-1", Role: RoleAgent, InternalAddress: "192.168.122.21", InternalInterface: "eth1"}
)

func TestGolden_Config(t *testing.T) {
	for short, v := range versions {
		for _, n := range []NodeConfig{server0, server1, agent} {
			kind := map[string]string{"server-1": "server0", "server-2": "server-join", "agent-1": "agent"}[n.Name]
			got, err := RenderConfig(testCluster(v), n)
			if err != nil {
				t.Fatal(err)
			}
			golden.Assert(t, "config-"+kind+"-"+short+".yaml", got)
		}
	}
}

func TestGolden_SELinuxDropIn(t *testing.T) {
	got, err := RenderSELinuxDropIn()
	if err != nil {
		t.Fatal(err)
	}
	golden.Assert(t, "selinux-dropin.yaml", got)
}

func TestGolden_AdmissionConfig(t *testing.T) {
	got, err := RenderAdmissionConfig(testCluster(versions["1.34"]))
	if err != nil {
		t.Fatal(err)
	}
	golden.Assert(t, "psa.yaml", got)
}

func TestGolden_AuditPolicy(t *testing.T) {
	got, err := RenderAuditPolicy()
	if err != nil {
		t.Fatal(err)
	}
	golden.Assert(t, "audit.yaml", got)
}

func TestGolden_Units(t *testing.T) {
	for _, role := range []string{RoleServer, RoleAgent} {
		got, err := RenderUnit(role)
		if err != nil {
			t.Fatal(err)
		}
		golden.Assert(t, UnitName(role), got)
	}
}

func parseConfig(t *testing.T, b []byte) Config {
	t.Helper()
	var c Config
	if err := yaml.UnmarshalStrict(b, &c); err != nil {
		t.Fatalf("config.yaml does not parse back: %v", err)
	}
	return c
}

func hasArg(args []string, prefix string) bool {
	for _, a := range args {
		if strings.HasPrefix(a, prefix) {
			return true
		}
	}
	return false
}

// TestConfig_FlagsByVersion proves the version-dependent choices for 1.24,
// 1.28, 1.34 and 1.36.
func TestConfig_FlagsByVersion(t *testing.T) {
	cases := []struct {
		version        string
		psp, psa, sate bool
		gcThreshold    string
	}{
		{versions["1.24"], true, false, false, "terminated-pod-gc-threshold=10"},
		{versions["1.28"], false, true, false, "terminated-pod-gc-threshold=10"},
		{versions["1.34"], false, true, true, "terminated-pod-gc-threshold=100"},
		{versions["1.36"], false, true, true, "terminated-pod-gc-threshold=100"},
	}
	for _, tc := range cases {
		b, err := RenderConfig(testCluster(tc.version), server0)
		if err != nil {
			t.Fatal(err)
		}
		c := parseConfig(t, b)
		api := c.KubeAPIServerArg
		if got := hasArg(api, "enable-admission-plugins=") && strings.Contains(strings.Join(api, " "), "PodSecurityPolicy"); got != tc.psp {
			t.Errorf("%s: PodSecurityPolicy plugin = %v, want %v", tc.version, got, tc.psp)
		}
		if got := hasArg(api, "admission-control-config-file="+AdmissionConfigPath); got != tc.psa {
			t.Errorf("%s: PSA admission config = %v, want %v", tc.version, got, tc.psa)
		}
		if got := hasArg(api, "service-account-extend-token-expiration=false"); got != tc.sate {
			t.Errorf("%s: service-account-extend-token-expiration = %v, want %v", tc.version, got, tc.sate)
		}
		if len(c.KubeControllerManagerArg) != 1 || c.KubeControllerManagerArg[0] != tc.gcThreshold {
			t.Errorf("%s: controller-manager args %v, want %s", tc.version, c.KubeControllerManagerArg, tc.gcThreshold)
		}
		for _, want := range []string{"audit-policy-file=" + AuditPolicyPath, "audit-log-path=" + AuditLogPath,
			"audit-log-maxage=30", "audit-log-maxbackup=10", "audit-log-maxsize=100", "tls-min-version=VersionTLS12"} {
			if !hasArg(api, want) {
				t.Errorf("%s: kube-apiserver-arg lacks %s", tc.version, want)
			}
		}
		files, err := ServerFiles(testCluster(tc.version))
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := files[AdmissionConfigPath]; ok != tc.psa {
			t.Errorf("%s: admission config file rendered = %v, want %v", tc.version, ok, tc.psa)
		}
	}
}

func TestConfig_ServerAndAgentSettings(t *testing.T) {
	c := testCluster(versions["1.34"])
	s0 := parseConfig(t, must(RenderConfig(c, server0)))
	s1 := parseConfig(t, must(RenderConfig(c, server1)))
	ag := parseConfig(t, must(RenderConfig(c, agent)))
	if !s0.ClusterInit || s0.Server != "" {
		t.Errorf("first server: cluster-init %v, server %q", s0.ClusterInit, s0.Server)
	}
	if s1.ClusterInit || s1.Server != "https://192.168.122.11:6443" {
		t.Errorf("joining server: cluster-init %v, server %q", s1.ClusterInit, s1.Server)
	}
	if ag.Server != "https://192.168.122.100:6443" || ag.TokenFile != AgentTokenPath || ag.AgentTokenFile != "" {
		t.Errorf("agent: server %q token-file %q agent-token-file %q", ag.Server, ag.TokenFile, ag.AgentTokenFile)
	}
	if s0.TokenFile != TokenPath || s0.AgentTokenFile != AgentTokenPath {
		t.Errorf("server token files %q %q", s0.TokenFile, s0.AgentTokenFile)
	}
	if s0.TLSSAN[0] != c.VIP {
		t.Errorf("tls-san %v does not start with the VIP", s0.TLSSAN)
	}
	for _, cfg := range []Config{s0, s1, ag} {
		if !cfg.ProtectKernelDefaults || cfg.SELinux || len(cfg.KubeletArg) != 3 || cfg.FlannelIface == "" {
			t.Errorf("%s: kubelet subset wrong: %+v", cfg.NodeName, cfg)
		}
	}
	if !s0.SecretsEncryption || ag.SecretsEncryption || len(ag.KubeAPIServerArg) != 0 {
		t.Error("server-only settings leak onto the agent or are missing on the server")
	}
	c.HasAgents = false
	if got := parseConfig(t, must(RenderConfig(c, server0))); len(got.NodeTaint) != 0 {
		t.Errorf("servers are tainted without agents: %v", got.NodeTaint)
	}
}

func TestServerAPIServerArgs_FilesCoverEveryPath(t *testing.T) {
	for _, v := range versions {
		args, files, err := ServerAPIServerArgs(testCluster(v))
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range args {
			name, value, _ := strings.Cut(a, "=")
			if strings.HasPrefix(value, "/") && name != "audit-log-path" {
				if _, ok := files[value]; !ok {
					t.Errorf("%s: %s references %s, which is not returned", v, name, value)
				}
			}
		}
	}
}

func TestKubeconfigFromStepOutput_RewritesServer(t *testing.T) {
	kc := "apiVersion: v1\nclusters:\n- cluster:\n    certificate-authority-data: Q0E=\n    server: https://127.0.0.1:6443\n  name: default\nkind: Config\n"
	out := b64(kc) + "\nunchanged\n"
	got, err := KubeconfigFromStepOutput(out, "192.168.122.100")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(got, "server: https://192.168.122.100:6443") || strings.Contains(got, "127.0.0.1") {
		t.Errorf("server not rewritten:\n%s", got)
	}
	if got, err := KubeconfigFromStepOutput("", "x"); err != nil || got != "" {
		t.Errorf("empty output: %q %v", got, err)
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}
