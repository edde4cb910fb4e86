package policies

import "testing"

func TestIsProdStack(t *testing.T) {
	for _, tc := range []struct {
		stack, environment string
		want               bool
	}{
		{"prod", "", true},
		{"Production", "", true},
		{"dev", "", false},
		{"eu-west", "prod", true},
		{"eu-west", "staging", false},
		{"prod-like", "", false},
	} {
		if got := IsProdStack(tc.stack, tc.environment); got != tc.want {
			t.Errorf("IsProdStack(%q, %q) = %v, want %v", tc.stack, tc.environment, got, tc.want)
		}
	}
}

func TestEnvFromConfig(t *testing.T) {
	cfg := map[string]string{
		"k3s-onprem:environment": "prod",
		"k3s-onprem:podSecurity": `{"exemptNamespaces":[{"namespace":"metallb-system","reason":"speaker on the host network"},{"namespace":"nope","reason":" "}]}`,
		"k3s-onprem:vip":         `{"address":"192.168.122.100","interface":"eth0"}`,
		"k3s-onprem:k3s":         `{"version":"v1.24.17+k3s1"}`,
	}
	env := EnvFromConfig("eu-west", func(k string) (string, bool) { v, ok := cfg[k]; return v, ok })
	if !env.Prod || env.VIP != "192.168.122.100" || env.K3sVersion != "v1.24.17+k3s1" || !env.PSP {
		t.Errorf("env = %+v", env)
	}
	if _, ok := env.Exempt["metallb-system"]; !ok {
		t.Error("metallb-system (with a reason) is not exempt")
	}
	if _, ok := env.Exempt["nope"]; ok {
		t.Error("an exemption without a reason counts")
	}
	if _, ok := env.Exempt["kube-system"]; !ok {
		t.Error("kube-system is not exempt")
	}
	empty := EnvFromConfig("dev", func(string) (string, bool) { return "", false })
	if empty.Prod || empty.PSP || len(empty.Exempt) != 1 {
		t.Errorf("empty config gives %+v", empty)
	}
}
