// Package steptest checks, in a mocked plan (internal/plan), the resources
// hoststep.Apply registered for a step: the component mocks tests share it
// so each asserts the same staging, parents, ordering and secrecy.
package steptest

import (
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"k3s-onprem/internal/hoststep"
	"k3s-onprem/internal/plan"
)

const (
	commandType = "command:remote:Command"
	copyType    = "command:remote:CopyToRemote"
)

// Applied checks step s on node in p: a stage command, one CopyToRemote per
// staged file with the rendered content, and the step's command running the
// bundle (its hash in the text, so a content change re-runs it), all
// children of parent; the stage and the copies wait for after, the command
// for the copies. It returns the step's command.
func Applied(t *testing.T, p *plan.Plan, node string, s hoststep.Step, parent string, after []string, sudo bool) *plan.Resource {
	t.Helper()
	b, err := s.Render()
	if err != nil {
		t.Fatal(err)
	}
	prefix := node + "-" + s.Name
	stage := p.Named(commandType, prefix+"-stage")
	cmd := p.Named(commandType, prefix)
	if stage == nil || cmd == nil {
		t.Fatalf("%s: no stage or step command", prefix)
	}
	create := b.Create
	if sudo {
		create = "sudo -n " + create
	}
	if got := plan.Str(cmd.Inputs, "create"); got != create {
		t.Errorf("%s: create %q, want %q", prefix, got, create)
	}
	for _, u := range after {
		if !slices.Contains(stage.DependsOn, u) || !slices.Contains(cmd.DependsOn, u) {
			t.Errorf("%s: does not wait for %s", prefix, u)
		}
	}
	staged := map[string]string{}
	for _, r := range p.OfType(copyType) {
		if strings.HasPrefix(r.Name, prefix+"-copy-") {
			if path, content, err := plan.CopiedFile(r); err == nil {
				staged[path] = string(content)
			}
			if r.Parent != parent || !slices.Contains(r.DependsOn, stage.URN) {
				t.Errorf("%s: parent %s, dependencies %v", r.Name, r.Parent, r.DependsOn)
			}
			if !slices.Contains(cmd.DependsOn, r.URN) {
				t.Errorf("%s does not wait for %s", prefix, r.Name)
			}
		}
	}
	for _, f := range b.Files {
		if got, ok := staged[f.RemotePath]; !ok || got != string(f.Content) {
			t.Errorf("%s: %s not staged with its rendered content", prefix, f.RemotePath)
		}
	}
	if len(staged) != len(b.Files) {
		t.Errorf("%s: %d text files staged, want %d", prefix, len(staged), len(b.Files))
	}
	for _, r := range []*plan.Resource{stage, cmd} {
		if r.Parent != parent {
			t.Errorf("%s: parent %s, want %s", r.Name, r.Parent, parent)
		}
	}
	return cmd
}

// SecretInput checks that r's input key is marked secret.
func SecretInput(t *testing.T, r *plan.Resource, key string) {
	t.Helper()
	v, ok := r.Inputs[resource.PropertyKey(key)]
	if !ok || !v.ContainsSecrets() {
		t.Errorf("%s: input %s is not secret", r.Name, key)
	}
}

// NoneInClear fails for every input in p that carries s outside a secret.
func NoneInClear(t *testing.T, p *plan.Plan, s string) {
	t.Helper()
	for _, r := range p.Resources {
		for k, v := range r.Inputs {
			if inClear(v, s) {
				t.Errorf("%s %s: input %s carries %q in the clear", r.Type, r.Name, k, s)
			}
		}
	}
}

func inClear(v resource.PropertyValue, s string) bool {
	switch {
	case v.IsSecret():
		return false
	case v.IsOutput():
		return !v.OutputValue().Secret && inClear(v.OutputValue().Element, s)
	case v.IsString():
		return strings.Contains(v.StringValue(), s)
	case v.IsAsset():
		return strings.Contains(v.AssetValue().Text, s)
	case v.IsArray():
		for _, e := range v.ArrayValue() {
			if inClear(e, s) {
				return true
			}
		}
	case v.IsObject():
		for _, e := range v.ObjectValue() {
			if inClear(e, s) {
				return true
			}
		}
	}
	return false
}
