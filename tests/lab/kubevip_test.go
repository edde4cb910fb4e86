package lab_test

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"k3s-onprem/components/vip"
	"k3s-onprem/internal/plan"
	"k3s-onprem/stacks"
	"k3s-onprem/tests/lab/labapi"
	"k3s-onprem/tests/lab/labhost"
	"k3s-onprem/tests/lab/runner"
	"k3s-onprem/tests/realapi/apiserver"
)

// The kube-vip lab: its own /24 (labhost locks it per run).
const (
	kvNet       = "10.215.0"
	kvVIP       = kvNet + ".100"
	kvDatastore = "kv-datastore"
	// kvUnit runs kube-vip where k3s's kubelet would run the static pod.
	kvUnit = "lab-kube-vip"
	// kvCleanFailovers stop the holder's kube-vip (SIGTERM: it releases
	// the lease); kvHealthFailovers stop the holder's kube-apiserver (its
	// renews fail); kvLossFailovers take the holder's link down (a lost
	// node: no release, the lease must run out).
	kvCleanFailovers  = 10
	kvHealthFailovers = 3
	kvLossFailovers   = 3
)

var kvServers = []struct{ name, addr string }{
	{"dev-server-1", kvNet + ".11"},
	{"dev-server-2", kvNet + ".12"},
	{"dev-server-3", kvNet + ".13"},
}

// kubeVIPBinary is tests/lab/kubevip/build.sh's output. Its absence skips
// the test even under CI=true: the cold build (45 minutes here) does not fit
// the CI budget, so CI does not build it and the test runs where it is
// cached.
func kubeVIPBinary(t *testing.T) string {
	t.Helper()
	base := os.Getenv("XDG_CACHE_HOME")
	if base == "" {
		home, _ := os.UserHomeDir()
		base = filepath.Join(home, ".cache")
	}
	p := filepath.Join(base, "k3s-onprem", "kube-vip-"+vip.KubeVIPVersion, "kube-vip")
	if _, err := os.Stat(p); err != nil {
		t.Skipf("no kube-vip binary at %s; build it with: bash tests/lab/kubevip/build.sh", p)
	}
	return p
}

// TestLab_KubeVIPFailover runs the program's kube-vip step (recorded from
// the dev stack with vip.implementation kube-vip, after the program's
// packages and firewall steps) on three lab servers, and the real kube-vip
// binary (the pinned release, built from the module proxy) with exactly the
// environment, arguments, capabilities and read-only root of the static pod
// that step installed. Emulated: the kubelet (a systemd unit reads the pod
// from the installed manifest and restarts it after 10 s, the kubelet's first
// crash back-off) and k3s (each server's real kube-apiserver serves on :6443
// with the admin kubeconfig k3s writes, all three on one real etcd on a
// fourth host, as k3s's servers share embedded etcd).
//
// It measures failover the way TestLab_VIPFailover does for keepalived:
// from the command on the holder until the kernel shows the VIP on another
// host alone, with every address event recorded; any moment with two
// holders fails the stop and health rounds. A lost node (its link cut from
// outside) is measured until another server holds the VIP and until the
// cut-off holder drops it; that overlap is reported, not failed: a holder
// that cannot be reached cannot be told to let go, with either
// implementation.
func TestLab_KubeVIPFailover(t *testing.T) {
	kubeVIPBin := kubeVIPBinary(t)
	kubeAPIServer, etcd, kubeVersion := apiserver.StaticBinaries(t)
	specs := []labhost.HostSpec{{Name: kvDatastore, Addresses: []string{kvNet + ".10"}}}
	ips := []net.IP{net.ParseIP(kvVIP)}
	for _, s := range kvServers {
		specs = append(specs, labhost.HostSpec{Name: s.name, Addresses: []string{s.addr}})
		ips = append(ips, net.ParseIP(s.addr))
	}
	lab := labhost.Start(t, specs)
	w, err := lab.WatchVIP(kvVIP)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Stop() })

	startSharedEtcd(t, lab, etcd)
	pki, err := apiserver.NewRemotePKI(ips)
	if err != nil {
		t.Fatal(err)
	}
	etcdURL := "http://" + kvNet + ".10:2379"
	if err := lab.ForEachHost(func(h *labhost.Host) error {
		if h.Name == kvDatastore {
			return nil
		}
		if err := labapi.Install(lab, h, pki, labapi.Binaries{KubeAPIServer: kubeAPIServer, Etcd: etcd}); err != nil {
			return err
		}
		if err := lab.InstallFile(h.Name, labapi.BinDir+"/kube-vip", kubeVIPBin, 0o755); err != nil {
			return err
		}
		// One datastore for all three, as k3s's servers share etcd.
		_, stderr, err := lab.Run(h.Name, "systemctl stop "+labapi.EtcdUnit+" && sed -i 's#--etcd-servers=http://127.0.0.1:2379#--etcd-servers="+etcdURL+"#' /etc/systemd/system/"+labapi.APIServerUnit+".service && systemctl daemon-reload", nil)
		if err != nil {
			return fmt.Errorf("%s: %v: %s", h.Name, err, stderr)
		}
		return labapi.Start(lab, h.Name, 4*time.Minute)
	}); err != nil {
		t.Fatal(err)
	}
	t.Logf("three kube-apiservers %s ready on one etcd", kubeVersion)

	// The program's steps; each kube-vip step waits until the VIP answers,
	// so the "kubelet" starts each pod as its manifest appears.
	p := planForKubeVIP(t, lab)
	done := make(chan kvApplied, 1)
	go func() {
		rs, err := runner.Apply(p, lab, runner.Options{Include: func(r *plan.Resource) bool {
			for _, s := range kvServers {
				if step, ok := strings.CutPrefix(r.Name, s.name+"-"); ok && (step == "packages" || step == "firewall" || step == vip.KubeVIPStepName) {
					return true
				}
			}
			return false
		}})
		done <- kvApplied{rs, err}
	}()
	// The "kubelet" starts each pod as its manifest appears, in whatever
	// order the steps run (nothing orders the servers' kube-vip steps).
	var firstStart time.Time
	pending := map[string]bool{}
	for _, s := range kvServers {
		pending[s.name] = true
	}
	for len(pending) > 0 {
		name, pod := waitAnyManifest(t, lab, pending, done)
		delete(pending, name)
		installKubeVIPUnit(t, lab, name, pod)
		first := firstStart.IsZero()
		if first {
			firstStart = time.Now()
		}
		lab.MustRun(t, name, "systemctl start "+kvUnit)
		if first {
			holder, _, err := lab.WaitVIPHolder(kvVIP, 2*time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("initial election: %s holds %s %s after its kube-vip started", holder, kvVIP, time.Since(firstStart).Round(time.Millisecond))
		}
	}
	a := <-done
	if a.err != nil {
		t.Fatal(a.err)
	}
	ran := 0
	for _, r := range a.results {
		if strings.HasSuffix(r.Resource, "-"+vip.KubeVIPStepName) {
			ran++
			if !strings.Contains(r.Stderr, "the VIP "+kvVIP+":6443 answers") {
				t.Errorf("%s did not see the VIP answer:\n%s", r.Resource, r.Stderr)
			}
		}
		if strings.HasSuffix(r.Resource, "-firewall") {
			if out := lab.MustRun(t, r.Host, "firewall-cmd --zone=internal --list-rich-rules"); strings.Contains(out, "vrrp") {
				t.Errorf("%s: the internal zone accepts VRRP with kube-vip: %s", r.Host, out)
			}
		}
	}
	if ran != len(kvServers) {
		t.Fatalf("ran %d kube-vip steps, want %d", ran, len(kvServers))
	}
	for _, s := range kvServers {
		waitJournal(t, lab, s.name, kvUnit, "", "New leader", time.Minute)
	}
	holder := onlyKVHolder(t, lab)
	waitAnswers(t, lab, kvVIP, holder)

	var clean, health []time.Duration
	for i := 0; i < kvCleanFailovers; i++ {
		next, took := kvFailover(t, lab, holder, "systemctl stop "+kvUnit, func() { lab.MustRun(t, holder, "systemctl start "+kvUnit) })
		clean = append(clean, took)
		t.Logf("clean failover %2d: %s -> %s in %s", i+1, holder, next, took.Round(time.Millisecond))
		holder = next
	}
	for i := 0; i < kvHealthFailovers; i++ {
		h := holder
		next, took := kvFailover(t, lab, holder, "systemctl stop "+labapi.APIServerUnit, func() {
			if err := labapi.Start(lab, h, 4*time.Minute); err != nil {
				t.Fatal(err)
			}
		})
		health = append(health, took)
		t.Logf("health failover %d: %s -> %s in %s", i+1, holder, next, took.Round(time.Millisecond))
		holder = next
	}
	waitAnswers(t, lab, kvVIP, holder)
	events := w.Stop()
	overlaps, handovers, minGap := labhost.VIPOverlap(events)
	t.Logf("VIP watch (stop and health rounds): %d address events, %d handovers, shortest gap between release and take-over %s, %d moments with two holders",
		len(events), handovers, minGap.Round(time.Microsecond), len(overlaps))
	for _, o := range overlaps {
		t.Errorf("two holders: %s", o)
	}
	if handovers < kvCleanFailovers+kvHealthFailovers {
		t.Errorf("watch saw %d handovers, the test made %d", handovers, kvCleanFailovers+kvHealthFailovers)
	}

	// A lost node: its link goes down from outside, so the host keeps
	// running (and keeps the address) but reaches neither etcd nor its
	// peers. Both sides hold the VIP for a while; only the reachable one
	// matters while the link is down, so this round measures and reports
	// (the link comes back only after the old holder dropped the address).
	lw, err := lab.WatchVIP(kvVIP)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lw.Stop() })
	var loss, kept []time.Duration
	for i := 0; i < kvLossFailovers; i++ {
		netns := lab.Host(holder).Netns
		since := journalNow(t, lab, holder)
		start := time.Now()
		if out, err := exec.Command("ip", "-n", netns, "link", "set", "eth0", "down").CombinedOutput(); err != nil {
			t.Fatalf("%s: link down: %v: %s", holder, err, out)
		}
		next, took := waitTakeover(t, lab, holder)
		held := waitReleased(t, lab, holder, start)
		if out, err := exec.Command("ip", "-n", netns, "link", "set", "eth0", "up").CombinedOutput(); err != nil {
			t.Fatalf("%s: link up: %v: %s", holder, err, out)
		}
		waitJournal(t, lab, holder, kvUnit, since, "New leader", 2*time.Minute)
		loss, kept = append(loss, took), append(kept, held)
		t.Logf("lost-node failover %d: %s -> %s in %s; the cut-off %s kept the address %s", i+1, holder, next, took.Round(time.Millisecond), holder, held.Round(time.Millisecond))
		holder = next
	}
	lossOverlaps, _, _ := labhost.VIPOverlap(lw.Stop())
	for _, o := range lossOverlaps {
		t.Logf("lost-node round (link down on the first): %s", o)
	}
	l := vip.DefaultLease
	worstLoss, worstRelease := l.WorstCaseFailover()
	t.Logf("lease %d/%d/%d s: computed worst case %.1f s for a lost holder, %.1f s after a release", l.Duration, l.RenewDeadline, l.RetryPeriod, worstLoss, worstRelease)
	t.Logf("failover, holder's kube-vip stopped (n=%d): %s", len(clean), percentiles(clean))
	t.Logf("failover, holder's kube-apiserver stopped (n=%d): %s", len(health), percentiles(health))
	t.Logf("failover, holder's link down (n=%d): %s until another server holds the VIP", len(loss), percentiles(loss))
	t.Logf("the cut-off holder kept the address (n=%d): %s (renewDeadline %d s)", len(kept), percentiles(kept), l.RenewDeadline)
}

// startSharedEtcd runs etcd on the datastore host for every server's
// kube-apiserver (test infrastructure: not a node, so no program steps).
func startSharedEtcd(t *testing.T, lab *labhost.Lab, etcd string) {
	t.Helper()
	if err := lab.InstallFile(kvDatastore, labapi.BinDir+"/etcd", etcd, 0o755); err != nil {
		t.Fatal(err)
	}
	addr := kvNet + ".10"
	unit := `[Unit]
Description=etcd shared by the lab's kube-apiservers
[Service]
ExecStart=` + labapi.BinDir + `/etcd --name=lab --data-dir=/var/lib/k3s-onprem-lab/etcd --listen-client-urls=http://` + addr + `:2379,http://127.0.0.1:2379 --advertise-client-urls=http://` + addr + `:2379 --listen-peer-urls=http://127.0.0.1:2380 --initial-advertise-peer-urls=http://127.0.0.1:2380 --initial-cluster=lab=http://127.0.0.1:2380 --log-level=warn
`
	if err := lab.UploadMode(kvDatastore, "/etc/systemd/system/lab-shared-etcd.service", []byte(unit), 0o644); err != nil {
		t.Fatal(err)
	}
	lab.MustRun(t, kvDatastore, "systemctl stop firewalld; systemctl daemon-reload && systemctl start lab-shared-etcd")
}

// kvApplied is the result of the program's steps, run beside the test.
type kvApplied struct {
	results []runner.Result
	err     error
}

// planForKubeVIP is the dev stack with the lab's servers and kube-vip.
func planForKubeVIP(t *testing.T, lab *labhost.Lab) *plan.Plan {
	t.Helper()
	var nodes []map[string]any
	for _, s := range kvServers {
		nodes = append(nodes, map[string]any{
			"name": s.name, "role": stacks.RoleServer, "internalAddress": s.addr,
			"ssh": map[string]any{"hostKey": lab.Host(s.name).HostKey},
		})
	}
	nodesJSON, _ := json.Marshal(nodes)
	p, err := stacks.PlanStack("../..", "dev", func(raw map[string]string) {
		raw["nodes"] = string(nodesJSON)
		raw["network"] = `{"internalCidr": "` + kvNet + `.0/24"}`
		raw["vip"] = `{"address": "` + kvVIP + `", "implementation": "kube-vip"}`
		raw["loadBalancer"] = `{"pools": [{"name": "internal", "range": "` + kvNet + `.200-` + kvNet + `.220", "network": "internal"}, {"name": "external", "range": "` + kvNet + `.221-` + kvNet + `.240", "network": "internal"}]}`
		raw[stacks.KeySSHPrivateKey] = string(lab.ClientKeyPEM())
		raw["ssh"] = `{"user": "root"}`
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// waitAnyManifest polls the pending hosts until the program's step has
// installed the static pod on one of them, and returns that host and pod.
func waitAnyManifest(t *testing.T, lab *labhost.Lab, pending map[string]bool, done <-chan kvApplied) (string, *corev1.Pod) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Minute)
	for {
		for host := range pending {
			out, _, err := lab.Run(host, "cat "+vip.KubeVIPManifestPath, nil)
			if err != nil {
				continue
			}
			var pod corev1.Pod
			if err := yaml.UnmarshalStrict([]byte(out), &pod); err != nil {
				t.Fatalf("%s: %s: %v", host, vip.KubeVIPManifestPath, err)
			}
			return host, &pod
		}
		select {
		case a := <-done:
			t.Fatalf("the steps ended before %v had their manifests: %v", pending, a.err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%v: no %s", pending, vip.KubeVIPManifestPath)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// installKubeVIPUnit is the kubelet stand-in: pod's one container as a
// unit with its environment and arguments, its capabilities as the
// bounding set (everything else dropped), a read-only root and no new
// privileges, restarted 10 s after it exits.
func installKubeVIPUnit(t *testing.T, lab *labhost.Lab, host string, pod *corev1.Pod) {
	t.Helper()
	if !pod.Spec.HostNetwork || len(pod.Spec.Containers) != 1 {
		t.Fatalf("%s: the static pod is not one host-network container", host)
	}
	c := pod.Spec.Containers[0]
	var b strings.Builder
	b.WriteString("[Unit]\nDescription=kube-vip from " + vip.KubeVIPManifestPath + " (lab: the kubelet cannot run here)\n[Service]\n")
	for _, e := range c.Env {
		fmt.Fprintf(&b, "Environment=%q\n", e.Name+"="+e.Value)
	}
	fmt.Fprintf(&b, "ExecStart=%s/kube-vip %s\n", labapi.BinDir, strings.Join(c.Args, " "))
	var caps []string
	for _, capName := range c.SecurityContext.Capabilities.Add {
		caps = append(caps, "CAP_"+string(capName))
	}
	fmt.Fprintf(&b, "CapabilityBoundingSet=%s\nAmbientCapabilities=%s\n", strings.Join(caps, " "), strings.Join(caps, " "))
	if c.SecurityContext.ReadOnlyRootFilesystem != nil && *c.SecurityContext.ReadOnlyRootFilesystem {
		b.WriteString("ProtectSystem=strict\nReadOnlyPaths=/\n")
	}
	if c.SecurityContext.AllowPrivilegeEscalation != nil && !*c.SecurityContext.AllowPrivilegeEscalation {
		b.WriteString("NoNewPrivileges=yes\n")
	}
	b.WriteString("Restart=always\nRestartSec=10\n")
	if err := lab.UploadMode(host, "/etc/systemd/system/"+kvUnit+".service", []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	lab.MustRun(t, host, "systemctl daemon-reload")
}

func onlyKVHolder(t *testing.T, lab *labhost.Lab) string {
	t.Helper()
	hs, err := lab.VIPHolders(kvVIP)
	if err != nil || len(hs) != 1 {
		t.Fatalf("VIP holders %v (%v), want one", hs, err)
	}
	return hs[0]
}

// waitTakeover polls until a host other than holder has the VIP (holder
// may still have it too) and returns it with the time since the call.
func waitTakeover(t *testing.T, lab *labhost.Lab, holder string) (string, time.Duration) {
	t.Helper()
	start := time.Now()
	for time.Since(start) < 2*time.Minute {
		hs, err := lab.VIPHolders(kvVIP)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range hs {
			if h != holder {
				return h, time.Since(start)
			}
		}
		time.Sleep(labhost.VIPPollInterval)
	}
	t.Fatalf("no server took the VIP from %s", holder)
	return "", 0
}

// waitReleased polls until holder no longer has the VIP and returns how
// long it had it after since.
func waitReleased(t *testing.T, lab *labhost.Lab, holder string, since time.Time) time.Duration {
	t.Helper()
	for time.Since(since) < 2*time.Minute {
		hs, err := lab.VIPHolders(kvVIP)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(hs, holder) {
			return time.Since(since)
		}
		time.Sleep(labhost.VIPPollInterval)
	}
	t.Fatalf("%s kept the VIP for 2 minutes without its link", holder)
	return 0
}

// kvFailover moves the VIP off holder with stop (the clock starts before
// the command is sent), then brings holder back with restart and waits
// until its kube-vip follows the new leader again, so the next round has
// two candidates.
func kvFailover(t *testing.T, lab *labhost.Lab, holder, stop string, restart func()) (string, time.Duration) {
	t.Helper()
	since := journalNow(t, lab, holder)
	start := time.Now()
	lab.MustRun(t, holder, stop)
	next, _, err := lab.WaitVIPHolder(kvVIP, 2*time.Minute, holder)
	took := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	restart()
	waitJournal(t, lab, holder, kvUnit, since, "New leader", 2*time.Minute)
	return next, took
}
