package conformance

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"k3s-onprem/components/k3s"
	"k3s-onprem/internal/upstream"
	"k3s-onprem/stacks"
)

// checkRenderedK3sFile fails the test for every key of one rendered k3s
// config file that `k3s <role>` of the minor would reject.
func checkRenderedK3sFile(t *testing.T, where string, minor int, role string, content []byte) {
	t.Helper()
	problems, err := upstream.CheckK3sConfig(minor, role, content)
	if err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	for _, p := range problems {
		t.Errorf("%s (k3s v1.%d %s): %s", where, minor, role, p)
	}
}

// TestK3sConfigKeysAreFlagsOfThePinnedMinor renders the dev and prod
// stacks at their pinned k3s version, and prod again at every k3s minor
// the stack config accepts, and checks every config.yaml (and
// config.yaml.d drop-in) key against that minor's server or agent flags.
func TestK3sConfigKeysAreFlagsOfThePinnedMinor(t *testing.T) {
	if got, want := upstream.K3sMinors(), acceptedMinors(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("k3s flag facts cover minors %v, the stack config accepts %v: add or drop a fact table", got, want)
	}
	for _, stack := range []string{"dev", "prod"} {
		t.Run(stack, func(t *testing.T) {
			r := renderConformanceStack(t, stack, "", "")
			spec, err := stacks.DecodeStackFile(repoRoot, stack)
			if err != nil {
				t.Fatal(err)
			}
			minor, err := k3s.Minor(spec.K3s.Version)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range r.configs {
				checkRenderedK3sFile(t, stack+" "+f.node+":"+f.path, minor, f.role, f.content)
			}
		})
	}
	for _, minor := range acceptedMinors() {
		facts, err := upstream.K3s(minor)
		if err != nil {
			t.Fatal(err)
		}
		t.Run("prod-at-v1."+strconv.Itoa(minor), func(t *testing.T) {
			r := renderConformanceStack(t, "prod", facts.Source.Tag, "")
			for _, f := range r.configs {
				checkRenderedK3sFile(t, "prod@"+facts.Source.Tag+" "+f.node+":"+f.path, minor, f.role, f.content)
			}
		})
	}
}

var k3sGoldenRE = regexp.MustCompile(`^config-(server0|server-join|agent)-1\.(\d+)\.yaml\.golden$`)

// TestK3sVersionMatrixGoldens checks the k3s component's version-matrix
// goldens (config-<role>-1.<minor>.yaml.golden) against their minor, and
// the SELinux drop-in against every minor for both roles.
func TestK3sVersionMatrixGoldens(t *testing.T) {
	dir := filepath.Join(repoRoot, "components", "k3s", "testdata")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, e := range entries {
		m := k3sGoldenRE.FindStringSubmatch(e.Name())
		if m == nil {
			continue
		}
		minor, _ := strconv.Atoi(m[2])
		role := k3s.RoleServer
		if m[1] == "agent" {
			role = k3s.RoleAgent
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		checkRenderedK3sFile(t, e.Name(), minor, role, b)
		checked++
	}
	if checked == 0 {
		t.Fatalf("no config-*-1.*.yaml.golden in %s", dir)
	}
	dropIn, err := os.ReadFile(filepath.Join(dir, "selinux-dropin.yaml.golden"))
	if err != nil {
		t.Fatal(err)
	}
	for _, minor := range acceptedMinors() {
		for _, role := range []string{k3s.RoleServer, k3s.RoleAgent} {
			checkRenderedK3sFile(t, "selinux-dropin.yaml.golden", minor, role, dropIn)
		}
	}
}

// TestK3sCheckBites proves the check fails on what k3s would reject: a
// misspelled key, a server-only flag in an agent's file, a flag of a later
// minor, and values of the wrong kind.
func TestK3sCheckBites(t *testing.T) {
	cases := []struct {
		name, role string
		minor      int
		config     string
		want       string
	}{
		{"misspelled key", k3s.RoleServer, 34, "tls-sans: [10.0.0.1]\n", `key "tls-sans": k3s server of v1.34 has no such flag; did you mean tls-san?`},
		{"server flag on an agent", k3s.RoleAgent, 34, "cluster-init: true\n", `key "cluster-init": k3s agent of v1.34 has no such flag`},
		{"flag newer than the minor", k3s.RoleServer, 24, "supervisor-metrics: true\n", `key "supervisor-metrics": k3s server of v1.24 has no such flag`},
		{"unquoted octal mode", k3s.RoleServer, 34, "write-kubeconfig-mode: 0600\n", `flag write-kubeconfig-mode is a string, but the value is the number 384`},
		{"bool as text", k3s.RoleServer, 34, "secrets-encryption: \"yes\"\n", `flag secrets-encryption is a bool, but the value is the string "yes"`},
		{"map for a list flag", k3s.RoleServer, 34, "kube-apiserver-arg: {audit-log-maxage: 30}\n", `flag kube-apiserver-arg is a string-slice, but the value is a map`},
		{"append form on a scalar flag", k3s.RoleServer, 34, "node-name+: x\n", `key "node-name+": the append form needs a list flag`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			problems, err := upstream.CheckK3sConfig(tc.minor, tc.role, []byte(tc.config))
			if err != nil {
				t.Fatal(err)
			}
			if len(problems) != 1 || !strings.Contains(problems[0], tc.want) {
				t.Fatalf("problems %q, want one containing %q", problems, tc.want)
			}
		})
	}
	// What the bad cases break is all they break: the same keys, spelled
	// and typed as k3s takes them, pass.
	good := "tls-san: [10.0.0.1]\nwrite-kubeconfig-mode: \"0600\"\nsecrets-encryption: true\nkube-apiserver-arg: [audit-log-maxage=30]\nkube-apiserver-arg+: [profiling=false]\ns: https://10.0.0.1:6443\n"
	if problems, err := upstream.CheckK3sConfig(34, k3s.RoleServer, []byte(good)); err != nil || len(problems) > 0 {
		t.Fatalf("valid config: %v %q", err, problems)
	}
}

// acceptedMinors are the k3s minors the stack config accepts.
func acceptedMinors() []int {
	var out []int
	for m := stacks.MinK3sMinor; m <= stacks.MaxK3sMinor; m++ {
		out = append(out, m)
	}
	return out
}
