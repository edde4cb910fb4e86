package stacks

import (
	"strings"
	"testing"
)

// TestGraph_StopAfterRegistersOnlyEarlierPhases: with stopAfter: vip the
// program registers the hosts and keepalived and nothing of k3s or the
// cluster (no Kubernetes provider either), so the host layer can be staged
// (and the engine tier can run it) before k3s exists.
func TestGraph_StopAfterRegistersOnlyEarlierPhases(t *testing.T) {
	full := planStack(t, "dev", nil)
	p := planStack(t, "dev", func(raw map[string]string) { raw["stopAfter"] = "vip" })
	types := map[string]int{}
	for _, r := range p.Resources {
		types[r.Type]++
		if strings.HasPrefix(r.Type, "kubernetes:") || strings.HasPrefix(r.Type, "pulumi:providers:kubernetes") || strings.HasPrefix(r.Type, "k3s-onprem:k3s:") {
			t.Errorf("stopAfter: vip registered %s (%s)", r.Name, r.Type)
		}
	}
	if types["k3s-onprem:host:Host"] != 4 || types["k3s-onprem:vip:VIP"] != 1 {
		t.Errorf("want 4 Host components and 1 VIP, got %v", types)
	}
	// Every resource registered is registered identically by the full run.
	for _, r := range p.Resources {
		if r.Type == "pulumi:pulumi:Stack" {
			continue
		}
		f := full.Get(r.URN)
		if f == nil {
			t.Errorf("%s is not in the full program", r.URN)
			continue
		}
		if !f.Inputs.DeepEquals(r.Inputs) {
			t.Errorf("%s: inputs differ from the full program", r.URN)
		}
	}
	if len(p.Resources) >= len(full.Resources) {
		t.Errorf("stopAfter: vip registered %d resources, the full program %d", len(p.Resources), len(full.Resources))
	}
}
