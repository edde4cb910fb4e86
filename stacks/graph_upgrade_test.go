package stacks

import (
	"encoding/json"
	"strings"
	"testing"

	"k3s-onprem/components/k3s"
	"k3s-onprem/internal/plan"
)

// withK3s edits the k3s config object of a stack before it is planned.
func withK3s(t *testing.T, edit func(k map[string]any)) func(map[string]string) {
	return func(raw map[string]string) {
		var k map[string]any
		if err := json.Unmarshal([]byte(raw["k3s"]), &k); err != nil {
			t.Fatal(err)
		}
		edit(k)
		b, _ := json.Marshal(k)
		raw["k3s"] = string(b)
	}
}

// TestGraph_AgentBatches: with agentBatch 2 on prod's three agents, agent-1
// and agent-2 run side by side and agent-3 starts (its first step) only
// after both are uncordoned. Each agent's drain runs on the first server
// after the agent's config steps and before its k3s-service step, and the
// uncordon after its last step.
func TestGraph_AgentBatches(t *testing.T) {
	p := planStack(t, "prod", withK3s(t, func(k map[string]any) { k["upgrade"] = map[string]any{"agentBatch": 2, "drainTimeout": "7m"} }))
	spec := prodSpec(t)
	first := spec.Servers()[0]
	step := func(node, s string) *plan.Resource { return mustCmd(t, p, node+"-"+s) }
	drain := func(a string) *plan.Resource { return step(first.Name, k3s.StepDrainPrefix+a) }
	uncordon := func(a string) *plan.Resource { return step(first.Name, k3s.StepUncordonPrefix+a) }
	for _, a := range []string{"agent-1", "agent-2", "agent-3"} {
		d, u := drain(a), uncordon(a)
		for _, r := range []*plan.Resource{d, u} {
			if host := plan.Str(plan.Connection(r), "host"); host != first.SSH.Host {
				t.Errorf("%s runs on %s, want the first server %s", r.Name, host, first.SSH.Host)
			}
		}
		if !p.DependsOnTransitively(d.URN, step(a, k3s.StepConfig).URN) {
			t.Errorf("%s does not follow %s's config step", d.Name, a)
		}
		if svc := step(a, k3s.StepService); !contains(svc.DependsOn, d.URN) {
			t.Errorf("%s restarts before %s", svc.Name, d.Name)
		}
		if !contains(u.DependsOn, step(a, k3s.StepPermissions).URN) {
			t.Errorf("%s does not follow %s's last step", u.Name, a)
		}
		script := copiedRunSh(t, p, d.Name)
		for _, want := range []string{"DRAIN_SECONDS='420'", "MEMBER='" + a + "'", "--ignore-daemonsets --delete-emptydir-data", "--timeout="} {
			if !strings.Contains(script, want) {
				t.Errorf("%s lacks %s", d.Name, want)
			}
		}
		if strings.Contains(script, "--force") || strings.Contains(script, "--disable-eviction") {
			t.Errorf("%s bypasses PodDisruptionBudgets or unmanaged pods", d.Name)
		}
	}
	batch := map[string]string{"agent-1": "1/2", "agent-2": "1/2", "agent-3": "2/2"}
	for a, b := range batch {
		if !strings.Contains(copiedRunSh(t, p, drain(a).Name), "BATCH='"+b+"'") {
			t.Errorf("%s is not in batch %s", a, b)
		}
	}
	vg3 := step("agent-3", k3s.StepVIPGate)
	for _, a := range []string{"agent-1", "agent-2"} {
		if !contains(vg3.DependsOn, uncordon(a).URN) {
			t.Errorf("agent-3 (batch 2) starts before %s (batch 1) is uncordoned", a)
		}
	}
	if p.DependsOnTransitively(step("agent-2", k3s.StepBinary).URN, uncordon("agent-1").URN) ||
		p.DependsOnTransitively(step("agent-1", k3s.StepBinary).URN, uncordon("agent-2").URN) {
		t.Error("agents of one batch wait for each other")
	}
	// A failure anywhere in batch 1 (drain, install, restart, health wait)
	// leaves batch 2 untouched: every step of agent-3 depends on all of it.
	for _, a := range []string{"agent-1", "agent-2"} {
		for _, s := range []*plan.Resource{drain(a), step(a, k3s.StepBinary), step(a, k3s.StepService), step(a, k3s.StepPermissions)} {
			if !p.DependsOnTransitively(step("agent-3", k3s.StepBinary).URN, s.URN) {
				t.Errorf("agent-3's binary step does not wait for %s", s.Name)
			}
		}
	}
}

// TestGraph_AgentBatchDefaultIsOne: without k3s.upgrade, agents go one at
// a time, in stack order.
func TestGraph_AgentBatchDefaultIsOne(t *testing.T) {
	p := planStack(t, "prod", nil)
	first := prodSpec(t).Servers()[0].Name
	for _, pair := range [][2]string{{"agent-1", "agent-2"}, {"agent-2", "agent-3"}} {
		u := mustCmd(t, p, first+"-"+k3s.StepUncordonPrefix+pair[0])
		if vg := mustCmd(t, p, pair[1]+"-"+k3s.StepVIPGate); !contains(vg.DependsOn, u.URN) {
			t.Errorf("%s starts before %s is uncordoned", pair[1], pair[0])
		}
	}
	if !strings.Contains(copiedRunSh(t, p, first+"-"+k3s.StepDrainPrefix+"agent-1"), "DRAIN_SECONDS='300'") {
		t.Error("default drain timeout is not 300 s")
	}
}

// copiedRunSh is the run.sh a step stages.
func copiedRunSh(t *testing.T, p *plan.Plan, step string) string {
	t.Helper()
	r := p.Named("command:remote:CopyToRemote", step+"-copy-run.sh")
	if r == nil {
		t.Fatalf("%s stages no run.sh", step)
	}
	_, c, err := plan.CopiedFile(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(c)
}
