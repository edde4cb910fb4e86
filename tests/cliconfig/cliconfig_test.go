// Package cliconfig runs the Pulumi CLI's own stack-config validation (the
// code `pulumi preview`/`up` run before the program starts, from
// github.com/pulumi/pulumi/pkg/v3/workspace at the CLI version the engine
// tier builds) over Pulumi.yaml and the committed stack files. It is a
// separate module so pkg/v3's dependencies stay out of the program's go.mod.
package cliconfig

import (
	"context"
	"io"
	"strings"
	"testing"

	pkgworkspace "github.com/pulumi/pulumi/pkg/v3/workspace"
	"github.com/pulumi/pulumi/sdk/v3/go/common/diag"
	"github.com/pulumi/pulumi/sdk/v3/go/common/diag/colors"
	"github.com/pulumi/pulumi/sdk/v3/go/common/esc"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
)

const project = "k3s-onprem"

// stackConfig loads a committed stack file as the CLI does, with secrets
// added the way the README tells users to (`pulumi config set --secret`).
func stackConfig(t *testing.T, proj *workspace.Project, stack string, crypter config.Crypter, secrets map[string]string) config.Map {
	t.Helper()
	sink := diag.DefaultSink(io.Discard, io.Discard, diag.FormatOptions{Color: colors.Never})
	ps, err := workspace.LoadProjectStack(sink, proj, "../../Pulumi."+stack+".yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg := ps.Config
	for path, plain := range secrets {
		ct, err := crypter.EncryptValue(context.Background(), plain)
		if err != nil {
			t.Fatal(err)
		}
		// --path: falcoOutputUrls.slack sets one entry of an object.
		if err := cfg.Set(config.MustMakeKey(project, path), config.NewSecureValue(ct), strings.Contains(path, ".")); err != nil {
			t.Fatal(err)
		}
	}
	return cfg
}

func validate(proj *workspace.Project, stack string, cfg config.Map, crypter config.Crypter) error {
	return pkgworkspace.ValidateStackConfigAndApplyProjectConfig(context.Background(), stack, proj, esc.Value{}, cfg, crypter, crypter)
}

// The issue this guards: the CLI refused both committed stacks ("Stack 'dev'
// is missing configuration values 'clusterName', 'falco', ...") because
// every Pulumi.yaml key without a default is required and a `secret: true`
// key can never be defaulted.
func TestCommittedStacksPassTheCLIConfigValidation(t *testing.T) {
	proj, err := workspace.LoadProject("../../Pulumi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	crypter := config.NewSymmetricCrypterFromPassphrase("correct horse battery staple", []byte("k3s-onprem-salt!"))
	for _, c := range []struct {
		stack   string
		secrets map[string]string
	}{
		{"dev", nil}, // ssh.privateKeyPath, no Falco outputs: no secret needed
		{"prod", map[string]string{"sshPrivateKey": "-----BEGIN OPENSSH PRIVATE KEY-----\n...", "falcoOutputUrls.slack": "https://hooks.slack.example/T0/B0/x"}},
		{"prod", nil}, // secrets not set yet: the program, not the CLI, says which
	} {
		cfg := stackConfig(t, proj, c.stack, crypter, c.secrets)
		if err := validate(proj, c.stack, cfg, crypter); err != nil {
			t.Errorf("%s (secrets %d): %v", c.stack, len(c.secrets), err)
			continue
		}
		// The CLI hands the program the defaults of omitted keys; the
		// program reads "" and {} as its own defaults.
		v, ok, err := cfg.Get(config.MustMakeKey(project, "podSecurity"), false)
		if err != nil || !ok || !v.Object() {
			t.Errorf("%s: podSecurity default not applied: %v %v %+v", c.stack, ok, err, v)
		}
	}
}

// Keys the program cannot run without stay required, so the CLI says so
// before the program starts; and a wrongly typed value is refused.
func TestCLIValidationStillRejects(t *testing.T) {
	proj, err := workspace.LoadProject("../../Pulumi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	crypter := config.NewSymmetricCrypterFromPassphrase("x", []byte("0123456789abcdef"))
	cfg := stackConfig(t, proj, "dev", crypter, nil)
	for _, k := range []string{"nodes", "vip"} {
		if err := cfg.Remove(config.MustMakeKey(project, k), false); err != nil {
			t.Fatal(err)
		}
	}
	err = validate(proj, "dev", cfg, crypter)
	if err == nil || !strings.Contains(err.Error(), "missing configuration values 'nodes' and 'vip'") {
		t.Errorf("missing required keys: %v", err)
	}
	cfg = stackConfig(t, proj, "dev", crypter, nil)
	if err := cfg.Set(config.MustMakeKey(project, "falco"), config.NewValue("on"), false); err != nil {
		t.Fatal(err)
	}
	if err := validate(proj, "dev", cfg, crypter); err == nil || !strings.Contains(err.Error(), "'falco' must be of type 'object'") {
		t.Errorf("wrong type: %v", err)
	}
}
