package stacks

import (
	"strings"
	"testing"

	"k3s-onprem/components/k3s"
	"k3s-onprem/components/responder"
)

// TestGraph_Responder: the responder runs on every server (never an agent)
// after that server's k3s gate, with its binary copied first and its
// Kubernetes identity created through the cluster's provider.
func TestGraph_Responder(t *testing.T) {
	p := planStack(t, "prod", nil)
	spec := prodSpec(t)
	comp := p.Named("k3s-onprem:responder:Responder", spec.ClusterName+"-responder")
	if comp == nil {
		t.Fatal("no responder component")
	}
	for _, n := range spec.Servers() {
		step := mustCmd(t, p, n.Name+"-"+responder.StepName)
		gate := mustCmd(t, p, n.Name+"-"+k3s.StepGate)
		if !contains(step.DependsOn, gate.URN) {
			t.Errorf("%s runs before %s", step.Name, gate.Name)
		}
		bin := p.Named("command:remote:CopyToRemote", n.Name+"-"+responder.StepName+"-copy-upload-"+responder.UploadName)
		if bin == nil || !contains(step.DependsOn, bin.URN) {
			t.Errorf("%s: binary not copied before the step", n.Name)
		}
		if !p.DependsOnTransitively(step.URN, comp.URN) && step.Parent != comp.URN {
			t.Errorf("%s is not the component's child", step.Name)
		}
	}
	for _, n := range spec.Agents() {
		if p.Named(cmdType, n.Name+"-"+responder.StepName) != nil {
			t.Errorf("agent %s runs the responder", n.Name)
		}
	}
	prov := p.OfType("pulumi:providers:kubernetes")[0]
	for _, r := range p.Resources {
		if strings.HasPrefix(r.Type, "kubernetes:") && r.Parent == comp.URN && !strings.HasPrefix(r.Provider, prov.URN) {
			t.Errorf("%s does not use the cluster's provider", r.Name)
		}
	}
}

func TestGraph_ResponderDisabled(t *testing.T) {
	p := planStack(t, "dev", func(raw map[string]string) { raw["responder"] = `{"enabled": false}` })
	if n := len(p.OfType("k3s-onprem:responder:Responder")); n != 0 {
		t.Fatalf("%d responder components with responder.enabled=false", n)
	}
}
