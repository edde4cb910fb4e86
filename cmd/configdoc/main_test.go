package main

import (
	"os"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
)

const begin, end = "<!-- config-reference:begin -->\n", "<!-- config-reference:end -->"

// The README's config reference is generated from Pulumi.yaml.
func TestREADMEConfigReferenceMatchesPulumiYAML(t *testing.T) {
	project, err := os.ReadFile("../../Pulumi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want, err := Table(project)
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(readme), begin)
	got, _, ok2 := strings.Cut(rest, end)
	if !ok || !ok2 {
		t.Fatal("README.md lacks the config-reference markers")
	}
	if got != want {
		t.Errorf("README config reference is stale; regenerate with `go run ./cmd/configdoc` and paste between the markers.\nwant:\n%s", want)
	}
}

// Pulumi.yaml must be a valid project file for the CLI.
func TestPulumiYAMLIsAValidProject(t *testing.T) {
	p, err := workspace.LoadProject("../../Pulumi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "k3s-onprem" || p.Runtime.Name() != "go" {
		t.Errorf("project %s runtime %s", p.Name, p.Runtime.Name())
	}
	for _, key := range []string{"nodes", "ssh", "network", "k3s", "vip", "loadBalancer", "ingress", "podSecurity", "falco", "responder", "hardening", "sshPrivateKey", "falcoOutputUrls", "clusterName"} {
		if _, ok := p.Config[key]; !ok {
			t.Errorf("Pulumi.yaml does not document config key %s", key)
		}
	}
}
