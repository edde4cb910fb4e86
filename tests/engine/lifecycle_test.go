//go:build engine

package engine_test

import (
	"context"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"

	"k3s-onprem/internal/plan"
	"k3s-onprem/stacks"
	"k3s-onprem/tests/lab/labhost"
)

// TestEngine_HostLayerLifecycle runs the host layer of the 3-server +
// 1-agent dev stack on lab hosts through the real engine: up with the
// default parallelism, an up that changes nothing and runs no remote
// command, a one-setting change, a node removal and a destroy, each
// checked on the hosts.
func TestEngine_HostLayerLifecycle(t *testing.T) {
	t.Parallel() // its own lab network (labNet)
	requireRoot(t)
	requireEngine(t)
	var specs []labhost.HostSpec
	for _, n := range labNodes {
		specs = append(specs, labhost.HostSpec{Name: n.name, Addresses: []string{n.addr}})
	}
	lab := labhost.Start(t, specs)
	ctx := context.Background()
	key := string(lab.ClientKeyPEM())

	cfg := labConfig(t, lab, labNodes)
	p := labPlan(t, cfg, key)
	targets, custom := hostLayer(t, p)
	t.Logf("host layer (stopAfter: %s): %d resources, %d custom", stopAfter, len(targets), len(custom))

	before := map[string]map[string]string{}
	for _, n := range labNodes {
		before[n.name] = lab.Snapshot(t, n.name)
	}
	s := newStack(t, ctx, labStackName, cfg, map[string]string{stacks.KeySSHPrivateKey: key})

	up := func(name string) (*recorder, time.Duration) {
		t.Helper()
		rec := newRecorder()
		start := time.Now()
		_, err := s.Up(ctx, optup.EventStreams(rec.ch))
		took := time.Since(start)
		rec.wait()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		t.Logf("%s: %s, changes %v", name, took.Round(time.Millisecond), summary(rec))
		return rec, took
	}

	// 1. First up: every custom resource of the host layer is created.
	rec, took := up("up")
	created := rec.changed()[apitype.OpCreate]
	for urn := range custom {
		if !slices.Contains(created, urn) {
			t.Errorf("up did not create %s", urn)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	t.Logf("MEASURE up of the host layer: %s for %d custom resources", took.Round(time.Millisecond), len(custom))

	// 2. No-change up: nothing changes and no SSH login reaches any host.
	logins := map[string]int{}
	for _, n := range labNodes {
		logins[n.name] = sshLogins(t, lab, n.name)
	}
	rec, took = up("no-change up")
	if ch := rec.changed(); len(ch) != 0 {
		t.Errorf("no-change up changed %v", ch)
	}
	total := 0
	for _, n := range labNodes {
		d := sshLogins(t, lab, n.name) - logins[n.name]
		total += d
		if d != 0 {
			t.Errorf("%s: %d SSH logins during the no-change up, want 0", n.name, d)
		}
	}
	t.Logf("MEASURE no-change up: %s, %d remote connections", took.Round(time.Millisecond), total)

	// 3. One setting: another VRRP router id changes the keepalived
	// step of every server and nothing else; the mocked plan predicts
	// which resources' inputs change, the engine must update exactly those.
	cfg2 := deepCopy(t, cfg)
	cfg2[stacks.Project+":vip"].(map[string]any)["virtualRouterId"] = 52
	p2 := labPlan(t, cfg2, key)
	want := changedInputs(p, p2)
	if len(want) == 0 {
		t.Fatal("the setting changes no resource input: pick another")
	}
	s.writeConfig(t, cfg2)
	targets2, _ := hostLayer(t, p2)
	rec, took = up("update vip.virtualRouterId")
	got := rec.changed()
	var updated []string
	for op, urns := range got {
		if op != apitype.OpUpdate {
			t.Errorf("virtualRouterId change: unexpected %s of %v", op, urns)
		}
		updated = append(updated, urns...)
	}
	sort.Strings(updated)
	if !slices.Equal(updated, want) {
		t.Errorf("virtualRouterId change updated\n  %s\nwant\n  %s", strings.Join(updated, "\n  "), strings.Join(want, "\n  "))
	}
	t.Logf("MEASURE one-setting update: %s, %d resources updated", took.Round(time.Millisecond), len(updated))
	for _, n := range labNodes[:3] {
		if out := lab.MustRun(t, n.name, "grep virtual_router_id /etc/keepalived/keepalived.conf"); !strings.Contains(out, "virtual_router_id 52") {
			t.Errorf("%s: keepalived.conf not updated: %s", n.name, out)
		}
	}

	// 4. Node removal: the agent's delete scripts run and its host is as
	// it was before the first up.
	agent := labNodes[3]
	cfg3 := deepCopy(t, cfg2)
	cfg3[stacks.Project+":nodes"] = cfg3[stacks.Project+":nodes"].([]any)[:3]
	p3 := labPlan(t, cfg3, key)
	targets3, _ := hostLayer(t, p3)
	var removed []string
	for _, urn := range targets2 {
		if !slices.Contains(targets3, urn) {
			removed = append(removed, urn)
		}
	}
	s.writeConfig(t, cfg3)
	rec, _ = up("remove " + agent.name)
	deleted := rec.changed()[apitype.OpDelete]
	sort.Strings(deleted)
	var removedCustom []string
	for _, urn := range removed {
		if custom[urn] != nil {
			removedCustom = append(removedCustom, urn)
		}
	}
	for _, urn := range removedCustom {
		if !slices.Contains(deleted, urn) {
			t.Errorf("node removal did not delete %s", urn)
		}
	}
	for _, urn := range deleted {
		if !slices.Contains(removed, urn) {
			t.Errorf("node removal deleted %s, which is not the agent's", urn)
		}
	}
	if d := labhost.SnapshotDiff(before[agent.name], lab.Snapshot(t, agent.name)); len(d) > 0 {
		t.Errorf("%s is not as it was after its removal:\n%s", agent.name, strings.Join(d, "\n"))
	}

	// 5. Destroy: every delete script runs, every host is as it was.
	rec = newRecorder()
	start := time.Now()
	if _, err := s.Destroy(ctx, optdestroy.EventStreams(rec.ch)); err != nil {
		t.Fatalf("destroy: %v", err)
	}
	rec.wait()
	t.Logf("MEASURE destroy: %s, changes %v", time.Since(start).Round(time.Millisecond), summary(rec))
	for _, n := range labNodes[:3] {
		if d := labhost.SnapshotDiff(before[n.name], lab.Snapshot(t, n.name)); len(d) > 0 {
			t.Errorf("%s is not as it was after destroy:\n%s", n.name, strings.Join(d, "\n"))
		}
	}
}

// changedInputs lists the engine URNs of host-layer resources present in
// both plans whose recorded inputs differ.
func changedInputs(a, b *plan.Plan) []string {
	var out []string
	for _, r := range b.Resources {
		old := a.Get(r.URN)
		if old == nil {
			continue
		}
		if !old.Inputs.DeepEquals(r.Inputs) {
			out = append(out, engineURN(r.URN))
		}
	}
	sort.Strings(out)
	return out
}

// summary counts the steps of an operation by op.
func summary(r *recorder) map[apitype.OpType]int {
	out := map[apitype.OpType]int{}
	for _, op := range r.steps {
		out[op]++
	}
	return out
}
