package stacks

import (
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func TestLocalPath(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	root, err := user.Lookup("root")
	if err != nil {
		t.Skip("no root user to expand ~root:", err)
	}
	for in, want := range map[string]string{
		"~":                 home,
		"~/.ssh/id_ed25519": filepath.Join(home, ".ssh/id_ed25519"),
		"~root/.ssh/id":     filepath.Join(root.HomeDir, ".ssh/id"),
		"keys/id_ed25519":   "/proj/keys/id_ed25519",
		"../keys/id":        "/keys/id",
		"/etc/k/id":         "/etc/k/id",
	} {
		got, err := LocalPath(in, "/proj")
		if err != nil || got != want {
			t.Errorf("LocalPath(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := LocalPath("~no-such-user-k3s/x", "/proj"); err == nil || !strings.Contains(err.Error(), "~no-such-user-k3s") {
		t.Errorf("unknown user: %v", err)
	}
}

type nopMocks struct{}

func (nopMocks) NewResource(a pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	return a.Name + "_id", a.Inputs, nil
}
func (nopMocks) Call(a pulumi.MockCallArgs) (resource.PropertyMap, error) { return a.Args, nil }

// loadDev runs Load over the committed dev stack with overrides, as the
// engine would hand it to the program.
func loadDev(t *testing.T, rootDir string, override map[string]string, secretKeys []string) (*Secrets, error) {
	t.Helper()
	sf, err := ReadStackFile("../Pulumi.dev.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg := map[string]string{}
	for k, v := range sf.Raw {
		cfg[Project+":"+k] = v
	}
	for k, v := range override {
		cfg[Project+":"+k] = v
	}
	var secrets []string
	for _, k := range secretKeys {
		secrets = append(secrets, Project+":"+k)
	}
	var sec *Secrets
	runErr := pulumi.RunErr(func(ctx *pulumi.Context) error {
		var err error
		_, sec, err = Load(ctx)
		return err
	}, pulumi.WithMocks(Project, "dev", nopMocks{}), func(ri *pulumi.RunInfo) {
		ri.Config, ri.ConfigSecretKeys, ri.RootDirectory = cfg, secrets, rootDir
	})
	return sec, runErr
}

// secretValue awaits a secret string output.
func secretValue(t *testing.T, o pulumi.StringOutput) (string, bool) {
	var wg sync.WaitGroup
	var v string
	wg.Add(1)
	o.ApplyT(func(s string) string { v = s; wg.Done(); return s })
	wg.Wait()
	return v, pulumi.IsSecret(o)
}

// The committed dev stack names ~/.ssh/id_ed25519: the tilde is the
// operator's home, and a relative path is relative to the project directory.
func TestLoadResolvesPrivateKeyPath(t *testing.T) {
	home, proj := t.TempDir(), t.TempDir()
	t.Setenv("HOME", home)
	must(t, os.MkdirAll(filepath.Join(home, ".ssh"), 0o700))
	must(t, os.WriteFile(filepath.Join(home, ".ssh/id_ed25519"), []byte("home key"), 0o600))
	must(t, os.MkdirAll(filepath.Join(proj, "keys"), 0o700))
	must(t, os.WriteFile(filepath.Join(proj, "keys/ops"), []byte("project key"), 0o600))

	for _, c := range []struct{ ssh, want string }{
		{`{"user":"root","privateKeyPath":"~/.ssh/id_ed25519"}`, "home key"},
		{`{"user":"root","privateKeyPath":"keys/ops"}`, "project key"},
	} {
		sec, err := loadDev(t, proj, map[string]string{"ssh": c.ssh}, nil)
		if err != nil {
			t.Fatalf("%s: %v", c.ssh, err)
		}
		if got, secret := secretValue(t, sec.SSHPrivateKey); got != c.want || !secret {
			t.Errorf("%s: key %q secret=%v, want %q secret", c.ssh, got, secret, c.want)
		}
	}

	_, err := loadDev(t, proj, map[string]string{"ssh": `{"privateKeyPath":"keys/missing"}`}, nil)
	if err == nil || !strings.Contains(err.Error(), "ssh.privateKeyPath") || !strings.Contains(err.Error(), filepath.Join(proj, "keys/missing")) {
		t.Errorf("missing key file: %v", err)
	}
}

// sshPrivateKey and falcoOutputUrls carry no `secret: true` in Pulumi.yaml
// (the CLI would require them), so the program refuses them in plain text.
func TestLoadRejectsSecretsSetInPlainText(t *testing.T) {
	over := map[string]string{
		KeySSHPrivateKey:   "-----BEGIN OPENSSH PRIVATE KEY-----",
		KeyFalcoOutputURLs: `{"slack":"https://hooks.example/x"}`,
		"falco":            `{"outputs":[{"type":"slack"}]}`,
	}
	_, err := loadDev(t, t.TempDir(), over, nil)
	if err == nil {
		t.Fatal("plain-text secrets accepted")
	}
	for _, want := range []string{"sshPrivateKey", "pulumi config set --secret sshPrivateKey", "falcoOutputUrls", "--path 'falcoOutputUrls.slack'"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
	if strings.Contains(err.Error(), "hooks.example") || strings.Contains(err.Error(), "BEGIN OPENSSH") {
		t.Errorf("error leaks the secret: %v", err)
	}
	if _, err := loadDev(t, t.TempDir(), over, []string{KeySSHPrivateKey, KeyFalcoOutputURLs}); err != nil {
		t.Errorf("secrets set with --secret rejected: %v", err)
	}
	// The CLI's defaults for the two keys ("" and {}) are not values.
	if _, err := loadDev(t, t.TempDir(), map[string]string{KeySSHPrivateKey: "", KeyFalcoOutputURLs: "{}", "ssh": `{"useAgent":true}`}, nil); err != nil {
		t.Errorf("CLI defaults rejected: %v", err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
