package lab_test

import (
	"encoding/json"
	"fmt"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"k3s-onprem/components/vip"
	"k3s-onprem/internal/plan"
	"k3s-onprem/stacks"
	"k3s-onprem/tests/lab/labapi"
	"k3s-onprem/tests/lab/labhost"
	"k3s-onprem/tests/lab/runner"
	"k3s-onprem/tests/realapi/apiserver"
)

// vipServers are the dev stack's three servers on one network.
var vipServers = []struct{ name, addr string }{
	{"dev-server-1", "10.203.0.11"},
	{"dev-server-2", "10.203.0.12"},
	{"dev-server-3", "10.203.0.13"},
}

const (
	// devVIP is the dev stack's vip.address (Pulumi.dev.yaml).
	devVIP = "10.203.0.100"
	// cleanFailovers and healthFailovers are how many times the VIP is
	// moved by stopping the holder's keepalived, and by stopping the
	// holder's kube-apiserver (the program's check script then fails).
	cleanFailovers  = 20
	healthFailovers = 4
)

// TestLab_VIPFailover runs the program's own keepalived step (recorded from
// the dev stack: keepalived.sh, the rendered keepalived.conf, its
// check-apiserver.sh and the VRRP password on stdin) after the program's
// firewall step (whose internal zone accepts VRRP on servers) on three lab
// hosts. What answers /readyz is a real kube-apiserver with a real etcd on
// each host (tests/realapi builds them from the module proxy; static
// binaries), serving on :6443 with the certificate layout the check script
// reads (/var/lib/rancher/k3s/agent: server CA, kube-proxy client pair).
// It is not k3s (k3s cannot run here); the check script cannot tell.
//
// Every address add and delete of the VIP on every host is recorded from
// the kernel (netlink, `ip monitor address` in each host's network
// namespace) for the whole test: any moment with two holders fails it.
func TestLab_VIPFailover(t *testing.T) {
	kubeAPIServer, etcd, kubeVersion := apiserver.StaticBinaries(t)
	var specs []labhost.HostSpec
	var ips []net.IP
	for _, s := range vipServers {
		specs = append(specs, labhost.HostSpec{Name: s.name, Addresses: []string{s.addr}})
		ips = append(ips, net.ParseIP(s.addr))
	}
	lab := labhost.Start(t, specs)
	mon := startVIPMonitor(t, lab, devVIP)

	pki, err := apiserver.NewRemotePKI(append(ips, net.ParseIP(devVIP)))
	if err != nil {
		t.Fatal(err)
	}
	if err := lab.ForEachHost(func(h *labhost.Host) error {
		return labapi.Install(lab, h, pki, labapi.Binaries{KubeAPIServer: kubeAPIServer, Etcd: etcd})
	}); err != nil {
		t.Fatal(err)
	}

	p := planForVIP(t, lab)
	results, err := runner.Apply(p, lab, runner.Options{Include: func(r *plan.Resource) bool {
		for _, s := range vipServers {
			if step, ok := strings.CutPrefix(r.Name, s.name+"-"); ok && (step == "packages" || step == "firewall" || step == vip.StepName) {
				return true
			}
		}
		return false
	}})
	if err != nil {
		t.Fatal(err)
	}
	ran := 0
	for _, r := range results {
		if strings.HasSuffix(r.Resource, "-"+vip.StepName) {
			ran++
			if !strings.Contains(r.Stderr, "started keepalived") {
				t.Errorf("%s did not start keepalived:\n%s", r.Resource, r.Stderr)
			}
		}
	}
	if ran != len(vipServers) {
		t.Fatalf("ran %d keepalived steps, want %d", ran, len(vipServers))
	}

	// No API server answers yet: the check fails everywhere, nobody may
	// hold the VIP. keepalived 2.2.7 starts an instance whose tracked
	// script already failed in FAULT without logging a state line, so
	// wait until every host has reported the failed check, then for three
	// advert intervals more.
	for _, s := range vipServers {
		waitJournal(t, lab, s.name, "keepalived", "", "VRRP_Script(chk_apiserver) failed", 30*time.Second)
	}
	time.Sleep(3 * time.Second)
	if hs, err := lab.VIPHolders(devVIP); err != nil || len(hs) > 0 {
		t.Fatalf("VIP held by %v (%v) while no API server is ready", hs, err)
	}
	if ev := mon.w.Events(); len(ev) > 0 {
		t.Fatalf("the VIP was taken before any API server was ready: %+v", ev)
	}
	t.Logf("keepalived steps ran; no server holds the VIP while its /readyz does not answer")

	// Servers join one after another in the program (k3s's gate); so do
	// the API servers here.
	for i, s := range vipServers {
		start := time.Now()
		since := journalNow(t, lab, s.name)
		lab.MustRun(t, s.name, "systemctl start "+labapi.APIServerUnit)
		waitCheckPasses(t, lab, s.name, 4*time.Minute)
		t.Logf("%s: kube-apiserver %s ready (the program's check script passes) after %s", s.name, kubeVersion, time.Since(start).Round(time.Millisecond))
		if i == 0 {
			holder, took, err := lab.WaitVIPHolder(devVIP, 30*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			if holder != s.name {
				t.Fatalf("VIP went to %s, the only server with a ready API is %s", holder, s.name)
			}
			t.Logf("initial election: %s holds %s %s after its API became ready", holder, devVIP, took.Round(time.Millisecond))
			waitAnswers(t, lab, devVIP, holder)
		} else {
			waitJournal(t, lab, s.name, "keepalived", since, "Entering BACKUP STATE", 30*time.Second)
		}
	}

	holder := onlyHolder(t, lab)
	var clean, health []time.Duration
	for i := 0; i < cleanFailovers; i++ {
		next, took := failover(t, lab, holder, "systemctl stop keepalived", "systemctl start keepalived")
		clean = append(clean, took)
		t.Logf("clean failover %2d at %s: %s -> %s in %s", i+1, time.Now().Format("15:04:05.000"), holder, next, took.Round(time.Millisecond))
		holder = next
	}
	for i := 0; i < healthFailovers; i++ {
		next, took := failover(t, lab, holder, "systemctl stop "+labapi.APIServerUnit, "systemctl start "+labapi.APIServerUnit)
		health = append(health, took)
		t.Logf("health failover %d: %s -> %s in %s", i+1, holder, next, took.Round(time.Millisecond))
		holder = next
	}
	waitAnswers(t, lab, devVIP, holder)

	t.Logf("failover, holder's keepalived stopped (n=%d): %s", len(clean), percentiles(clean))
	t.Logf("failover, holder's kube-apiserver stopped, check fall 2 x interval 3 s (n=%d): %s", len(health), percentiles(health))
	mon.check(t)
}

// failover moves the VIP off holder with stop (its clock starts before the
// command is sent), then brings holder back with restart and waits until
// it is BACKUP again, so the next round has two candidates.
func failover(t *testing.T, lab *labhost.Lab, holder, stop, restart string) (string, time.Duration) {
	t.Helper()
	start := time.Now()
	lab.MustRun(t, holder, stop)
	next, _, err := lab.WaitVIPHolder(devVIP, 60*time.Second, holder)
	took := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	since := journalNow(t, lab, holder)
	lab.MustRun(t, holder, restart)
	if strings.Contains(restart, "apiserver") {
		waitCheckPasses(t, lab, holder, 4*time.Minute)
	}
	waitJournal(t, lab, holder, "keepalived", since, "Entering BACKUP STATE", 60*time.Second)
	if hs, err := lab.VIPHolders(devVIP); err != nil || len(hs) != 1 || hs[0] != next {
		t.Fatalf("after %s came back: VIP holders %v (%v), want %s alone (nopreempt)", holder, hs, err, next)
	}
	return next, took
}

// planForVIP runs the dev stack under mocks with the lab's three servers.
func planForVIP(t *testing.T, lab *labhost.Lab) *plan.Plan {
	t.Helper()
	var nodes []map[string]any
	for _, s := range vipServers {
		nodes = append(nodes, map[string]any{
			"name": s.name, "role": stacks.RoleServer, "internalAddress": s.addr,
			"ssh": map[string]any{"hostKey": lab.Host(s.name).HostKey},
		})
	}
	nodesJSON, _ := json.Marshal(nodes)
	p, err := stacks.PlanStack("../..", "dev", func(raw map[string]string) {
		raw["nodes"] = string(nodesJSON)
		raw[stacks.KeySSHPrivateKey] = string(lab.ClientKeyPEM())
		raw["ssh"] = `{"user": "root"}`
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// waitCheckPasses runs the program's installed check script until it
// succeeds (the API server's /readyz says "ok" to kube-proxy's identity).
func waitCheckPasses(t *testing.T, lab *labhost.Lab, name string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if _, _, err := lab.Run(name, vip.CheckScriptPath, nil); err == nil {
			return
		}
		if time.Now().After(deadline) {
			out, _, _ := lab.Run(name, "systemctl status "+labapi.APIServerUnit+" "+labapi.EtcdUnit+" --no-pager -n 20", nil)
			t.Fatalf("%s: %s did not pass within %s:\n%s", name, vip.CheckScriptPath, timeout, out)
		}
		time.Sleep(time.Second)
	}
}

func onlyHolder(t *testing.T, lab *labhost.Lab) string {
	t.Helper()
	hs, err := lab.VIPHolders(devVIP)
	if err != nil || len(hs) != 1 {
		t.Fatalf("VIP holders %v (%v), want one", hs, err)
	}
	return hs[0]
}

// journalNow is the host's clock in journalctl --since form.
func journalNow(t *testing.T, lab *labhost.Lab, name string) string {
	t.Helper()
	return strings.TrimSpace(lab.MustRun(t, name, "date '+%Y-%m-%d %H:%M:%S'"))
}

// waitJournal polls host's journal of unit (since a time, or the boot when
// since is empty) for a message.
func waitJournal(t *testing.T, lab *labhost.Lab, name, unit, since, msg string, timeout time.Duration) {
	t.Helper()
	cmd := fmt.Sprintf("journalctl -q -u %s -b --no-pager", unit)
	if since != "" {
		cmd += " --since '" + since + "'"
	}
	cmd += " | grep -iF '" + msg + "'"
	deadline := time.Now().Add(timeout)
	for {
		if _, _, err := lab.Run(name, cmd, nil); err == nil {
			return
		}
		if time.Now().After(deadline) {
			log, _, _ := lab.Run(name, "journalctl -q -u "+unit+" -b --no-pager | tail -n 60", nil)
			t.Fatalf("%s: no %q from %s within %s:\n%s", name, msg, unit, timeout, log)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// waitAnswers polls until SSH to addr is answered by want: after a move,
// the root namespace's ARP entry follows keepalived's gratuitous ARP.
func waitAnswers(t *testing.T, lab *labhost.Lab, addr, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		who, err := lab.WhoAnswersSSH(addr, time.Second)
		if err == nil && who == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("SSH to %s: answered by %q (%v), want %s", addr, who, err, want)
		}
		time.Sleep(labhost.VIPPollInterval)
	}
}

// percentiles prints p50, p99 (nearest rank) and max.
func percentiles(d []time.Duration) string {
	if len(d) == 0 {
		return "no samples"
	}
	s := slices.Clone(d)
	slices.Sort(s)
	rank := func(p float64) time.Duration {
		i := int(p*float64(len(s))+0.999999) - 1
		return s[max(0, min(i, len(s)-1))]
	}
	return fmt.Sprintf("p50 %s, p99 %s, min %s, max %s", rank(0.50).Round(time.Millisecond), rank(0.99).Round(time.Millisecond),
		s[0].Round(time.Millisecond), s[len(s)-1].Round(time.Millisecond))
}

// vipMonitor wraps the kernel-event watch of the VIP for the whole test.
type vipMonitor struct {
	lab *labhost.Lab
	w   *labhost.VIPWatch
}

func startVIPMonitor(t *testing.T, lab *labhost.Lab, addr string) *vipMonitor {
	t.Helper()
	w, err := lab.WatchVIP(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Stop() })
	return &vipMonitor{lab: lab, w: w}
}

// check ends the watch: no moment with two holders, at least one handover
// per failover, and the replayed final holder is the kernel's (no event
// missed).
func (m *vipMonitor) check(t *testing.T) {
	t.Helper()
	events := m.w.Stop()
	overlaps, handovers, minGap := labhost.VIPOverlap(events)
	t.Logf("VIP watch: %d address events, %d handovers, shortest gap between release and take-over %s, %d moments with two holders",
		len(events), handovers, minGap.Round(time.Microsecond), len(overlaps))
	for _, o := range overlaps {
		t.Errorf("two holders: %s", o)
	}
	if len(overlaps) > 0 {
		for _, e := range events {
			t.Logf("event %s %s add=%v", e.At.Format("15:04:05.000000"), e.Host, e.Add)
		}
	}
	if handovers < cleanFailovers+healthFailovers {
		t.Errorf("watch saw %d handovers, the test made %d", handovers, cleanFailovers+healthFailovers)
	}
	held := map[string]bool{}
	for _, e := range events {
		if e.Add {
			held[e.Host] = true
		} else {
			delete(held, e.Host)
		}
	}
	var replayed []string
	for h := range held {
		replayed = append(replayed, h)
	}
	slices.Sort(replayed)
	now, err := m.lab.VIPHolders(devVIP)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(now)
	if !slices.Equal(replayed, now) {
		t.Errorf("events replay to holders %v, the kernel says %v: the watch missed events", replayed, now)
	}
}
