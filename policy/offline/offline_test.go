package offline

import (
	"context"
	"encoding/json"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/asset"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

	"k3s-onprem/policy/policies"
	"k3s-onprem/stacks"
)

// projectDir holds Pulumi.<stack>.yaml.
const projectDir = "../.."

// planned plans a stack offline (the package itself takes plans; tests
// may plan) and returns the pack's view of it.
func planned(t *testing.T, stack string, override func(map[string]string)) (policies.Env, []policyx.AnalyzerResource) {
	t.Helper()
	p, err := stacks.PlanStack(projectDir, stack, override)
	if err != nil {
		t.Fatal(err)
	}
	return Stack(p)
}

// check plans a stack (after override and mutate) and evaluates the pack.
func check(t *testing.T, stack string, override func(map[string]string), mutate func([]policyx.AnalyzerResource) []policyx.AnalyzerResource, cfg map[string]policyx.PolicyConfig) []Violation {
	t.Helper()
	env, rs := planned(t, stack, override)
	if mutate != nil {
		rs = mutate(rs)
	}
	pack, err := policies.New(env)
	if err != nil {
		t.Fatal(err)
	}
	vs, err := Evaluate(context.Background(), pack, rs, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return vs
}

func dump(vs []Violation) string {
	var b strings.Builder
	for _, v := range vs {
		b.WriteString(v.Policy + " " + v.URN + ": " + v.Message + "\n")
	}
	return b.String()
}

func TestDevAndProdPassThePack(t *testing.T) {
	for _, stack := range []string{"dev", "prod"} {
		t.Run(stack, func(t *testing.T) {
			if vs := check(t, stack, nil, nil, nil); len(vs) > 0 {
				t.Fatalf("%d violations:\n%s", len(vs), dump(vs))
			}
		})
	}
}

// editJSON decodes raw[key], lets edit change it, and stores it back.
func editJSON(t *testing.T, raw map[string]string, key string, edit func(v map[string]any)) {
	t.Helper()
	v := map[string]any{}
	if s, ok := raw[key]; ok {
		if err := json.Unmarshal([]byte(s), &v); err != nil {
			t.Fatal(err)
		}
	}
	edit(v)
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	raw[key] = string(b)
}

func unpinHostKeys(t *testing.T) func(map[string]string) {
	return func(raw map[string]string) {
		var nodes []map[string]any
		if err := json.Unmarshal([]byte(raw["nodes"]), &nodes); err != nil {
			t.Fatal(err)
		}
		for _, n := range nodes {
			delete(n["ssh"].(map[string]any), "hostKey")
		}
		b, _ := json.Marshal(nodes)
		raw["nodes"] = string(b)
		editJSON(t, raw, "ssh", func(v map[string]any) { v["allowUnpinnedHostKeys"] = true })
	}
}

// rewriteK3sConfig changes every k3s config file the plan copies to a host
// that contains old.
func rewriteK3sConfig(t *testing.T, old, new string) func([]policyx.AnalyzerResource) []policyx.AnalyzerResource {
	return func(rs []policyx.AnalyzerResource) []policyx.AnalyzerResource {
		n := 0
		for i, r := range rs {
			src := r.Properties.Get("source")
			if r.Type != "command:remote:CopyToRemote" || !src.IsAsset() || !strings.Contains(src.AsAsset().Text, old) {
				continue
			}
			text := src.AsAsset().Text
			a, err := asset.FromText(strings.Replace(text, old, new, 1))
			if err != nil {
				t.Fatal(err)
			}
			rs[i].Properties = r.Properties.Set("source", property.New(a))
			n++
		}
		if n == 0 {
			t.Fatalf("no k3s config contains %q", old)
		}
		return rs
	}
}

// addPrivilegedNamespace adds a namespace that enforces privileged without
// saying why, and a privileged DaemonSet in it.
func addPrivilegedNamespace(rs []policyx.AnalyzerResource) []policyx.AnalyzerResource {
	str := func(s string) property.Value { return property.New(s) }
	obj := func(m map[string]property.Value) property.Value { return property.New(m) }
	ns := policyx.AnalyzerResource{Type: "kubernetes:core/v1:Namespace", Name: "debug", URN: "urn:pulumi:dev::k3s-onprem::kubernetes:core/v1:Namespace::debug",
		Properties: property.NewMap(map[string]property.Value{"metadata": obj(map[string]property.Value{
			"name": str("debug"),
			"labels": obj(map[string]property.Value{
				"pod-security.kubernetes.io/enforce": str("privileged"),
				"pod-security.kubernetes.io/audit":   str("restricted"),
				"pod-security.kubernetes.io/warn":    str("restricted"),
			}),
		})})}
	ctr := obj(map[string]property.Value{"name": str("shell"), "securityContext": obj(map[string]property.Value{"privileged": property.New(true)})})
	ds := policyx.AnalyzerResource{Type: "kubernetes:apps/v1:DaemonSet", Name: "debug-shell", URN: "urn:pulumi:dev::k3s-onprem::kubernetes:apps/v1:DaemonSet::debug-shell",
		Properties: property.NewMap(map[string]property.Value{
			"metadata": obj(map[string]property.Value{"name": str("debug-shell"), "namespace": str("debug")}),
			"spec": obj(map[string]property.Value{"template": obj(map[string]property.Value{"spec": obj(map[string]property.Value{
				"hostPID": property.New(true), "containers": property.New([]property.Value{ctr}),
			})})}),
		})}
	return append(rs, ns, ds)
}

// editResource applies edit to the properties of the one resource of type
// typ whose metadata.name is name.
func editResource(t *testing.T, typ, name string, edit func(property.Map) property.Map) func([]policyx.AnalyzerResource) []policyx.AnalyzerResource {
	return func(rs []policyx.AnalyzerResource) []policyx.AnalyzerResource {
		n := 0
		for i, r := range rs {
			if meta := r.Properties.Get("metadata"); r.Type == typ && meta.IsMap() && meta.AsMap().Get("name").IsString() && meta.AsMap().Get("name").AsString() == name {
				rs[i].Properties = edit(r.Properties)
				n++
			}
		}
		if n != 1 {
			t.Fatalf("%d resources %s %s, want 1", n, typ, name)
		}
		return rs
	}
}

// grantSecrets adds a rule reading secrets to a role.
func grantSecrets(p property.Map) property.Map {
	strs := func(s ...string) property.Value {
		var out []property.Value
		for _, e := range s {
			out = append(out, property.New(e))
		}
		return property.New(out)
	}
	rule := property.New(map[string]property.Value{"apiGroups": strs(""), "resources": strs("secrets"), "verbs": strs("get", "list")})
	return p.Set("rules", property.New(append(p.Get("rules").AsArray().AsSlice(), rule)))
}

// bindClusterAdmin points a binding's roleRef at cluster-admin.
func bindClusterAdmin(p property.Map) property.Map {
	ref := p.Get("roleRef").AsMap().Set("name", property.New("cluster-admin"))
	return p.Set("roleRef", property.New(ref))
}

// TestWeakenedStacksFail weakens the dev stack one way at a time and checks
// exactly which policies fail on top of what the unweakened stack reports
// (nothing, when TestDevAndProdPassThePack passes). Config weakenings go through PlanStack's
// override, as an operator's config change would; secrets-encryption and
// namespaces cannot be weakened through the stack config (the k3s
// component hard-wires the former), so those cases edit the planned
// resources the way a changed component would register them.
func TestWeakenedStacksFail(t *testing.T) {
	cases := []struct {
		desc     string
		override func(map[string]string)
		mutate   func([]policyx.AnalyzerResource) []policyx.AnalyzerResource
		want     []string
	}{
		{desc: "host keys not pinned (ssh.allowUnpinnedHostKeys)", override: unpinHostKeys(t), want: []string{"ssh-host-key-pinned"}},
		{desc: "bastion without a host key", override: func(raw map[string]string) {
			editJSON(t, raw, "ssh", func(v map[string]any) {
				v["bastion"] = map[string]any{"host": "bastion.example"}
				v["allowUnpinnedHostKeys"] = true
			})
		}, want: []string{"ssh-bastion-complete"}},
		{desc: "checksum verification off", override: func(raw map[string]string) {
			editJSON(t, raw, "k3s", func(v map[string]any) { v["verifyChecksum"] = false })
		}, want: []string{"k3s-version-pinned"}},
		{desc: "Pod Security default baseline", override: func(raw map[string]string) {
			editJSON(t, raw, "podSecurity", func(v map[string]any) { v["enforce"] = "baseline" })
		}, want: []string{"k3s-psa-admission"}},
		{desc: "secrets-encryption off", mutate: rewriteK3sConfig(t, "secrets-encryption: true", "secrets-encryption: false"), want: []string{"k3s-secrets-encryption"}},
		{desc: "kubelet streams never time out", mutate: rewriteK3sConfig(t, "streaming-connection-idle-timeout=5m", "streaming-connection-idle-timeout=0"), want: []string{"k3s-streaming-idle-timeout"}},
		{desc: "privileged namespace added", mutate: addPrivilegedNamespace, want: []string{"k8s-namespace-network-policy", "k8s-namespace-psa-labels"}},
		{desc: "responder reads secrets", mutate: editResource(t, "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole", "falco-responder", grantSecrets),
			want: []string{"k8s-security-identities-least-privilege"}},
		{desc: "Falco bound to cluster-admin", mutate: editResource(t, "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding", "falco-metadata-reader", bindClusterAdmin),
			want: []string{"k8s-no-cluster-admin-binding", "k8s-security-identities-least-privilege"}},
	}
	baseline := map[Violation]bool{}
	for _, v := range check(t, "dev", nil, nil, nil) {
		baseline[v] = true
	}
	for _, tc := range cases {
		t.Run(tc.desc, func(t *testing.T) {
			var vs []Violation
			for _, v := range check(t, "dev", tc.override, tc.mutate, nil) {
				if !baseline[v] {
					vs = append(vs, v)
				}
			}
			if got := Policies(vs); !slices.Equal(got, tc.want) {
				t.Fatalf("violated %v, want %v:\n%s", got, tc.want, dump(vs))
			}
			if Mandatory(vs) != len(vs) {
				t.Errorf("not every violation is mandatory:\n%s", dump(vs))
			}
		})
	}
}

func TestPolicyConfig_LowersAndDisables(t *testing.T) {
	pack, err := policies.New(policies.Env{Stack: "dev"})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := ParseConfig(pack, []byte(`{"all": "advisory", "ssh-host-key-pinned": {"enforcementLevel": "mandatory"}, "k3s-audit-log": "disabled",
		"k8s-no-cluster-admin-binding": {"allowedBindings": ["platform-admin"]}}`))
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]policyx.EnforcementLevel{
		"ssh-host-key-pinned":          policyx.EnforcementLevelMandatory,
		"k3s-audit-log":                policyx.EnforcementLevelDisabled,
		"k3s-secrets-encryption":       policyx.EnforcementLevelAdvisory,
		"k8s-no-cluster-admin-binding": policyx.EnforcementLevelAdvisory,
	} {
		if got := cfg[name].EnforcementLevel; got != want {
			t.Errorf("%s: level %s, want %s", name, LevelName(got), LevelName(want))
		}
	}
	if got := cfg["k8s-no-cluster-admin-binding"].Properties["allowedBindings"]; got == nil {
		t.Error("properties of k8s-no-cluster-admin-binding are lost")
	}
	for _, bad := range []string{`{"ssh-host-key-pined": "advisory"}`, `{"all": "off"}`, `[]`} {
		if _, err := ParseConfig(pack, []byte(bad)); err == nil {
			t.Errorf("ParseConfig(%s) accepted it", bad)
		}
	}
	// Without levels of their own, policies keep their default.
	cfg, err = ParseConfig(pack, []byte(`{"k8s-no-cluster-admin-binding": {"allowedBindings": []}}`))
	if err != nil {
		t.Fatal(err)
	}
	if cfg["k8s-no-cluster-admin-binding"].EnforcementLevel != policyx.EnforcementLevelMandatory {
		t.Error("a config without a level lowered the policy")
	}
}

func TestPolicyConfig_AdvisoryIsReportedNotMandatory(t *testing.T) {
	env, rs := planned(t, "dev", unpinHostKeys(t))
	pack, _ := policies.New(env)
	cfg, err := ParseConfig(pack, []byte(`{"ssh-host-key-pinned": "advisory"}`))
	if err != nil {
		t.Fatal(err)
	}
	vs, err := Evaluate(context.Background(), pack, rs, cfg)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, v := range vs {
		if v.Policy == "ssh-host-key-pinned" {
			n++
			if v.Level != policyx.EnforcementLevelAdvisory {
				t.Fatalf("ssh-host-key-pinned reported at level %s, want advisory", LevelName(v.Level))
			}
		}
	}
	if n == 0 {
		t.Fatal("the advisory policy reported nothing")
	}
}

func TestPolicyConfig_ProdRefusesDisabled(t *testing.T) {
	prod, _ := planned(t, "prod", nil)
	if !prod.Prod {
		t.Fatal("the prod stack is not production")
	}
	pack, _ := policies.New(prod)
	for _, c := range []string{`{"k3s-secrets-encryption": "disabled"}`, `{"all": "disabled"}`} {
		cfg, err := ParseConfig(pack, []byte(c))
		if err != nil {
			t.Fatal(err)
		}
		if err := CheckConfig(prod, cfg); err == nil || !strings.Contains(err.Error(), "production stack prod") {
			t.Errorf("CheckConfig(%s) = %v, want a refusal", c, err)
		}
	}
	cfg, _ := ParseConfig(pack, []byte(`{"k3s-secrets-encryption": "advisory"}`))
	if err := CheckConfig(prod, cfg); err != nil {
		t.Errorf("advisory on prod is refused: %v", err)
	}
	dev, _ := planned(t, "dev", nil)
	cfg, _ = ParseConfig(pack, []byte(`{"k3s-secrets-encryption": "disabled"}`))
	if err := CheckConfig(dev, cfg); err != nil {
		t.Errorf("disabled on dev is refused: %v", err)
	}
}

// TestPolicyConfig_GuardsCatchDisabledOnProd runs the prod stack with a
// disabled policy past CheckConfig, as `pulumi preview` would, and expects
// the pack's own guards to report it.
func TestPolicyConfig_GuardsCatchDisabledOnProd(t *testing.T) {
	env, rs := planned(t, "prod", nil)
	pack, _ := policies.New(env)
	cfg, err := ParseConfig(pack, []byte(`{"k3s-secrets-encryption": "disabled", "k8s-namespace-network-policy": "disabled"}`))
	if err != nil {
		t.Fatal(err)
	}
	vs, err := Evaluate(context.Background(), pack, rs, cfg)
	if err != nil {
		t.Fatal(err)
	}
	var guards []Violation
	for _, v := range vs {
		if v.Policy == policies.GuardResourceName || v.Policy == policies.GuardStackName {
			guards = append(guards, v)
		}
	}
	want := []string{policies.GuardResourceName, policies.GuardStackName}
	if got := Policies(guards); !slices.Equal(got, want) || len(guards) != 2 || Mandatory(guards) != 2 {
		t.Fatalf("guards reported %v, want %v once each and mandatory:\n%s", got, want, dump(guards))
	}
	for _, v := range guards {
		if !strings.Contains(v.Message, "k3s-secrets-encryption") {
			t.Errorf("%s does not name the disabled policy: %s", v.Policy, v.Message)
		}
	}
}

// Falco's DaemonSet mode adds a privileged sensors namespace; it must carry
// its reason and still pass the pack.
func TestFalcoDaemonSetModePassesThePack(t *testing.T) {
	daemonset := func(raw map[string]string) {
		editJSON(t, raw, "falco", func(v map[string]any) { v["mode"] = "daemonset" })
	}
	if vs := check(t, "prod", daemonset, nil, nil); len(vs) > 0 {
		t.Fatalf("%d violations:\n%s", len(vs), dump(vs))
	}
}

// The engine orders levels remediate >= mandatory > advisory > disabled: a
// prod config that sets every policy to remediate still stops the update.
func TestPolicyConfig_RemediateEnforces(t *testing.T) {
	env, rs := planned(t, "dev", unpinHostKeys(t))
	pack, _ := policies.New(env)
	cfg, err := ParseConfig(pack, []byte(`{"all": "remediate"}`))
	if err != nil {
		t.Fatal(err)
	}
	vs, err := Evaluate(context.Background(), pack, rs, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) == 0 || Mandatory(vs) != len(vs) {
		t.Fatalf("remediate violations: %d of %d counted as enforcing:\n%s", Mandatory(vs), len(vs), dump(vs))
	}
	for l, want := range map[policyx.EnforcementLevel]bool{policyx.EnforcementLevelRemediate: true, policyx.EnforcementLevelMandatory: true,
		policyx.EnforcementLevelAdvisory: false, policyx.EnforcementLevelDisabled: false} {
		if Enforcing(l) != want {
			t.Errorf("Enforcing(%s) = %v", LevelName(l), !want)
		}
	}
}

// The package judges plans and must not plan: stack planning (and the
// whole program behind it) stays with the callers.
func TestNoStacksDependency(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		if dep == "k3s-onprem/stacks" || strings.HasPrefix(dep, "k3s-onprem/components/") {
			t.Errorf("policy/offline depends on %s", dep)
		}
	}
}
