package apiserver

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// These run without the binaries: they pin the merge and path-mapping rules
// that decide which command line the real apiserver gets.

func TestMergeArgsFollowsK3sRules(t *testing.T) {
	defaults := map[string]string{
		"enable-admission-plugins": "NodeRestriction",
		"profiling":                "false",
		"anonymous-auth":           "false",
	}
	got := mergeArgs(defaults, []string{
		"enable-admission-plugins+=EventRateLimit", // append to default
		"--profiling=true",                         // override, leading -- allowed
		"feature-gates-=A=true",                    // prepend with no default
		"audit-log-path=/a",                        // repeated plain args accumulate
		"audit-log-path=/b",
		"some-bool", // bare name means =true
	})
	want := []string{
		"--anonymous-auth=false",
		"--audit-log-path=/a",
		"--audit-log-path=/b",
		"--enable-admission-plugins=NodeRestriction",
		"--enable-admission-plugins=EventRateLimit",
		"--feature-gates=A=true",
		"--profiling=true",
		"--some-bool=true",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("mergeArgs:\n got %q\nwant %q", got, want)
	}
	if defaults["profiling"] != "false" {
		t.Error("mergeArgs modified its defaults map")
	}
}

func TestRewriteArgsMapsHostPaths(t *testing.T) {
	root := hostRoot(t.TempDir())
	files := map[string][]byte{
		"/var/lib/rancher/k3s/server/psa.yaml":        []byte("path: /var/lib/rancher/k3s/server/psa-config.yaml\n"),
		"/var/lib/rancher/k3s/server/psa-config.yaml": []byte("kind: PodSecurityConfiguration\n"),
	}
	if err := root.writeFiles(files); err != nil {
		t.Fatal(err)
	}
	got, err := root.rewriteArgs([]string{
		"admission-control-config-file=/var/lib/rancher/k3s/server/psa.yaml",
		"audit-log-path=/var/lib/rancher/k3s/server/logs/audit.log",
		"tls-cipher-suites=A,B",
		"service-account-issuer=https://kubernetes.default.svc",
	}, files)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"admission-control-config-file=" + filepath.Join(string(root), "var/lib/rancher/k3s/server/psa.yaml"),
		"audit-log-path=" + filepath.Join(string(root), "var/lib/rancher/k3s/server/logs/audit.log"),
		"tls-cipher-suites=A,B",
		"service-account-issuer=https://kubernetes.default.svc",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("rewriteArgs:\n got %q\nwant %q", got, want)
	}
	// The output flag's directory exists for the apiserver to write into.
	if st, err := os.Stat(filepath.Join(string(root), "var/lib/rancher/k3s/server/logs")); err != nil || !st.IsDir() {
		t.Errorf("audit log dir not created: %v", err)
	}
	// A path inside a file's content is mapped too.
	b, err := os.ReadFile(root.path("/var/lib/rancher/k3s/server/psa.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), root.path("/var/lib/rancher/k3s/server/psa-config.yaml")) {
		t.Errorf("path inside file content not rewritten: %s", b)
	}

	if _, err := root.rewriteArgs([]string{"audit-policy-file=/etc/missing.yaml"}, files); err == nil {
		t.Error("rewriteArgs accepted an input file that is not in Files")
	}
}

func TestEncryptionConfigMatchesK3sFormat(t *testing.T) {
	path := filepath.Join(t.TempDir(), "encryption-config.json")
	if err := writeEncryptionConfig(path); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var cfg encryptionConfiguration
	if err := json.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.Kind != "EncryptionConfiguration" || cfg.APIVersion != "apiserver.config.k8s.io/v1" ||
		len(cfg.Resources) != 1 || !reflect.DeepEqual(cfg.Resources[0].Resources, []string{"secrets"}) {
		t.Fatalf("unexpected config: %s", b)
	}
	p := cfg.Resources[0].Providers
	if len(p) != 2 || p[0].AESCBC == nil || p[0].AESCBC.Keys[0].Name != "aescbckey" || p[1].Identity == nil {
		t.Fatalf("want providers [aescbc(aescbckey), identity], got %s", b)
	}
	if !strings.Contains(string(b), `{"identity":{}}`) {
		t.Errorf("identity provider not written as {} like k3s: %s", b)
	}
}
