// Package labhost boots lab hosts for the lab tier (tier 5): Debian hosts
// with real systemd as PID 1 (systemd-nspawn --boot), each in its own network
// namespace on private bridges, reachable from the test process over SSH with
// pinned host keys. Tests elsewhere import it:
//
//	lab := labhost.Start(t, []labhost.HostSpec{{Name: "h1", Addresses: []string{"10.203.0.11"}}})
//	out, _, err := lab.Run("h1", "systemctl is-active firewalld", nil)
//
// Everything a lab creates carries a per-run name prefix and is removed by
// t.Cleanup (even when the test fails); tests/lab/cleanup.sh removes what a
// crashed run left. Only addresses inside the lab networks and loopback are
// ever contacted.
package labhost

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// StateRoot holds one directory per run (overlays, keys, console logs, pid
// files); cleanup.sh finds crashed runs here.
const StateRoot = "/var/tmp/k3s-onprem-lab"

// namePrefix starts every run prefix. Together with 4 random characters and
// the longest suffix ("v" + 2-digit host index + interface index) it keeps
// interface names under Linux's 15-character limit.
const namePrefix = "k3l"

// HostSpec describes one host.
type HostSpec struct {
	// Name is the hostname (also used in /etc/hosts of every host).
	Name string
	// Addresses has one entry per interface, IPv4, plain ("10.203.0.11",
	// a /24 is assumed) or CIDR: Addresses[0] is eth0 on the internal
	// bridge, Addresses[1] (optional) is eth1 on the "external" bridge of
	// the two-network layout. Every host's Addresses[i] must share one
	// network; the bridge of network i gets its first address (.1) in the
	// root namespace, which is where the test process talks from.
	Addresses []string
}

// Options tune Start; the zero value is what tests normally want.
type Options struct {
	// BootTimeout bounds the wait for SSH and `systemctl is-system-running
	// --wait` per host; 0 means 3 minutes (a loaded 2-core CI machine).
	BootTimeout time.Duration
	// LockTimeout bounds the wait for another lab using the same networks
	// (go test runs packages in parallel); 0 means 20 minutes.
	LockTimeout time.Duration
	// RootFS overrides the rootfs directory (default: env LAB_ROOTFS, else
	// what tests/lab/rootfs.sh --path prints).
	RootFS string
	// Capabilities are kept in the hosts' bounding set on top of nspawn's
	// default set and CAP_NET_ADMIN, e.g. "CAP_SYSLOG" for a test that
	// needs /dev/kmsg as on a real host.
	Capabilities []string
}

// Host is one booted host.
type Host struct {
	Name string
	// Addresses are the interface addresses (eth0, eth1, ...).
	Addresses []netip.Addr
	// HostKey is the pinned SSH host public key in authorized_keys format
	// ("ssh-ed25519 AAAA..."), the form the stack config's hostKey takes.
	HostKey string
	// Netns is the network namespace name (/run/netns/<Netns>).
	Netns string

	index     int
	hostPub   ssh.PublicKey
	hostPriv  ed25519.PrivateKey // until written into the overlay
	dir       string             // state dir: upper, work, root, console.log
	machine   string
	cgroups   []string
	cmd       *exec.Cmd
	exited    chan struct{}
	mounted   bool
	ready     bool // booted; set before Start returns, read by Close
	clientMu  sync.Mutex
	client    *ssh.Client
	consoleFH *os.File
}

// Addr is the host's eth0 address as a string (the SSH address).
func (h *Host) Addr() string { return h.Addresses[0].String() }

// Network is one bridge.
type Network struct {
	Bridge  string
	Prefix  netip.Prefix
	Gateway netip.Addr // the bridge's address in the root namespace
}

// Lab is a set of booted hosts. Its methods are safe for concurrent use.
type Lab struct {
	// Prefix is this run's name prefix (interfaces, netns, cgroups, state).
	Prefix   string
	Hosts    []*Host
	Networks []Network
	// Dir is this run's state directory under StateRoot.
	Dir string

	clientKeyPEM []byte
	signer       ssh.Signer
	byKey        map[string]*Host // name or address -> host
	locks        []*os.File
	// CommandTimeout bounds one Run; 0 means 10 minutes.
	CommandTimeout time.Duration

	mu     sync.Mutex
	closed bool
	// created lists undo steps in creation order; Close runs them backwards.
	created []undo
	logf    func(string, ...any)
	// extraCaps is Options.Capabilities.
	extraCaps []string
}

type undo struct {
	what string
	fn   func() error
}

// Start boots the hosts and returns when every one answers SSH and its
// systemd reports running (or degraded; failed units are logged). It skips
// the test when not root or when the rootfs is missing, unless CI=true, where
// those are failures: CI must run this tier, never silently skip it.
func Start(t testing.TB, hosts []HostSpec) *Lab {
	t.Helper()
	return StartWith(t, hosts, Options{})
}

// StartWith is Start with options.
func StartWith(t testing.TB, hosts []HostSpec, o Options) *Lab {
	t.Helper()
	unavailable := func(format string, args ...any) {
		t.Helper()
		msg := "lab tier unavailable: " + fmt.Sprintf(format, args...)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg + " (CI=true: failing instead of skipping)")
		}
		t.Skip(msg)
	}
	if os.Geteuid() != 0 {
		unavailable("needs root (netns, overlay mounts, systemd-nspawn, cgroups)")
	}
	for _, tool := range []string{"systemd-nspawn", "ip", "mount"} {
		if _, err := exec.LookPath(tool); err != nil {
			unavailable("%s not found; run `bash tests/lab/rootfs.sh` (installs host packages)", tool)
		}
	}
	rootfs, err := findRootFS(o.RootFS)
	if err != nil {
		unavailable("%v", err)
	}
	if o.BootTimeout == 0 {
		o.BootTimeout = 3 * time.Minute
	}
	if o.LockTimeout == 0 {
		o.LockTimeout = 20 * time.Minute
	}

	l, err := newLab(hosts, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range o.Capabilities {
		if !strings.HasPrefix(c, "CAP_") || strings.ContainsAny(c, " ,") {
			t.Fatalf("labhost: capability %q: want one name like CAP_SYSLOG", c)
		}
	}
	l.extraCaps = o.Capabilities
	// Registered before anything exists, so a failure at any later point
	// (including t.Fatal below) still removes what was made.
	t.Cleanup(func() {
		l.mu.Lock()
		closed := l.closed
		l.mu.Unlock()
		if closed { // the test closed it itself
			return
		}
		start := time.Now()
		if err := l.Close(); err != nil {
			t.Errorf("lab teardown: %v", err)
		}
		t.Logf("lab %s: teardown of %d hosts took %s", l.Prefix, len(l.Hosts), time.Since(start).Round(time.Millisecond))
	})
	if err := l.lock(o.LockTimeout); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := l.boot(rootfs, o.BootTimeout); err != nil {
		l.dumpConsoles(t)
		t.Fatalf("lab %s: %v", l.Prefix, err)
	}
	t.Logf("lab %s: %d hosts booted in %s (rootfs %s)", l.Prefix, len(l.Hosts), time.Since(start).Round(time.Millisecond), rootfs)
	return l
}

// newLab validates the specs and allocates names and keys; nothing is
// created on the machine yet.
func newLab(specs []HostSpec, logf func(string, ...any)) (*Lab, error) {
	if len(specs) == 0 {
		return nil, errors.New("labhost: no hosts")
	}
	if len(specs) > 99 {
		return nil, errors.New("labhost: at most 99 hosts (interface name length)")
	}
	rnd := make([]byte, 2)
	if _, err := rand.Read(rnd); err != nil {
		return nil, err
	}
	prefix := namePrefix + hex.EncodeToString(rnd)
	l := &Lab{Prefix: prefix, Dir: filepath.Join(StateRoot, prefix), byKey: map[string]*Host{}, logf: logf}

	for i, s := range specs {
		if s.Name == "" || strings.ContainsAny(s.Name, " /\t\n") {
			return nil, fmt.Errorf("labhost: bad host name %q", s.Name)
		}
		if len(s.Addresses) == 0 {
			return nil, fmt.Errorf("labhost: host %s has no address", s.Name)
		}
		h := &Host{Name: s.Name, index: i + 1, Netns: prefix + "-" + s.Name, machine: prefix + "-" + s.Name, exited: make(chan struct{})}
		for j, a := range s.Addresses {
			p, err := parseAddr(a)
			if err != nil {
				return nil, fmt.Errorf("labhost: host %s: %w", s.Name, err)
			}
			if j >= len(l.Networks) {
				gw := p.Masked().Addr().Next()
				l.Networks = append(l.Networks, Network{Bridge: fmt.Sprintf("%sb%d", prefix, j), Prefix: p.Masked(), Gateway: gw})
			}
			n := l.Networks[j]
			if p.Masked() != n.Prefix {
				return nil, fmt.Errorf("labhost: host %s: eth%d address %s is not in %s (the network of eth%d)", s.Name, j, p, n.Prefix, j)
			}
			if p.Addr() == n.Gateway {
				return nil, fmt.Errorf("labhost: host %s: %s is the bridge's own address", s.Name, p.Addr())
			}
			h.Addresses = append(h.Addresses, p.Addr())
		}
		for _, k := range append([]string{h.Name}, addrStrings(h.Addresses)...) {
			if _, dup := l.byKey[k]; dup {
				return nil, fmt.Errorf("labhost: %s used twice", k)
			}
			l.byKey[k] = h
		}
		l.Hosts = append(l.Hosts, h)
	}
	if err := l.makeKeys(); err != nil {
		return nil, err
	}
	return l, nil
}

func parseAddr(s string) (netip.Prefix, error) {
	if !strings.Contains(s, "/") {
		s += "/24"
	}
	p, err := netip.ParsePrefix(s)
	if err != nil || !p.Addr().Is4() || p.Bits() > 30 {
		return netip.Prefix{}, fmt.Errorf("bad address %q (want IPv4, optionally /N with N <= 30)", s)
	}
	return p, nil
}

func addrStrings(as []netip.Addr) []string {
	var out []string
	for _, a := range as {
		out = append(out, a.String())
	}
	return out
}

// Host returns the host with that name or address, or nil.
func (l *Lab) Host(nameOrAddr string) *Host { return l.byKey[nameOrAddr] }

// ClientKeyPEM is the operator's private key (OpenSSH PEM, unencrypted),
// the form pulumi-command's connection privateKey takes.
func (l *Lab) ClientKeyPEM() []byte { return bytes.Clone(l.clientKeyPEM) }

// ClientKeyPath is ClientKeyPEM written to a 0600 file in the state dir,
// for configs that want a privateKeyPath.
func (l *Lab) ClientKeyPath() string { return filepath.Join(l.Dir, "id_ed25519") }

// KnownHosts is a known_hosts file pinning every host's key by address and
// name (for ssh -o UserKnownHostsFile=... when debugging by hand).
func (l *Lab) KnownHosts() string {
	var b strings.Builder
	for _, h := range l.Hosts {
		fmt.Fprintf(&b, "%s,%s %s\n", strings.Join(addrStrings(h.Addresses), ","), h.Name, h.HostKey)
	}
	return b.String()
}

// ForEachHost runs fn for every host concurrently (hosts are independent,
// and a lab boots or converges N hosts in the time of one) and returns the
// first error in host order.
func (l *Lab) ForEachHost(fn func(h *Host) error) error {
	errs := make([]error, len(l.Hosts))
	var wg sync.WaitGroup
	for i, h := range l.Hosts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = fn(h)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func (l *Lab) record(what string, fn func() error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.created = append(l.created, undo{what, fn})
}

// Close tears the lab down: hosts are powered off (SIGTERM to nspawn, then
// a cgroup kill after a grace period), then overlays, namespaces, links,
// cgroups and the state directory are removed, in reverse creation order.
// It keeps going after errors so one stuck piece does not leak the rest,
// and is idempotent (t.Cleanup calls it; tests may call it earlier).
func (l *Lab) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	steps := l.created
	l.created = nil
	l.mu.Unlock()

	for _, h := range l.Hosts {
		h.clientMu.Lock()
		if h.client != nil {
			h.client.Close()
			h.client = nil
		}
		h.clientMu.Unlock()
	}
	l.stopHosts(10 * time.Second)

	var errs []error
	for i := len(steps) - 1; i >= 0; i-- {
		if err := steps[i].fn(); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", steps[i].what, err))
		}
	}
	for _, f := range l.locks {
		f.Close() // releases the flock
	}
	l.locks = nil
	return errors.Join(errs...)
}

// stopHosts powers every host off in parallel: SIGTERM makes nspawn ask the
// guest's systemd for a clean poweroff; whatever still runs after grace is
// killed through its cgroup (cgroup.kill reaches the whole container,
// whereas killing only nspawn would orphan the guest's PID 1).
func (l *Lab) stopHosts(grace time.Duration) {
	var wg sync.WaitGroup
	for _, h := range l.Hosts {
		if h.cmd == nil || h.cmd.Process == nil {
			continue
		}
		wg.Add(1)
		go func(h *Host) {
			defer wg.Done()
			if !h.ready {
				// A guest still booting may not act on the poweroff
				// request yet (its systemd has not set up its signal
				// handlers); nothing in it is worth a clean shutdown.
				killCgroups(h.cgroups)
				_ = h.cmd.Process.Kill()
				<-h.exited
				return
			}
			_ = h.cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-h.exited:
			case <-time.After(grace):
				l.logf("host %s did not power off within %s; killing its cgroup", h.Name, grace)
				killCgroups(h.cgroups)
				_ = h.cmd.Process.Kill()
				<-h.exited
			}
		}(h)
	}
	wg.Wait()
}

// dumpConsoles logs the tail of each host's console, the first thing to
// read when a boot fails.
func (l *Lab) dumpConsoles(t testing.TB) {
	t.Helper()
	for _, h := range l.Hosts {
		b, err := os.ReadFile(filepath.Join(h.dir, "console.log"))
		if err != nil {
			continue
		}
		if len(b) > 6000 {
			b = b[len(b)-6000:]
		}
		t.Logf("console of %s (tail):\n%s", h.Name, b)
	}
}

// findRootFS returns the cached rootfs directory or why there is none.
func findRootFS(override string) (string, error) {
	if override == "" {
		override = os.Getenv("LAB_ROOTFS")
	}
	if override != "" {
		if _, err := os.Stat(filepath.Join(override, "usr/lib/systemd/systemd")); err != nil {
			return "", fmt.Errorf("rootfs %s is not a built lab rootfs", override)
		}
		return override, nil
	}
	script, err := rootfsScript()
	if err != nil {
		return "", err
	}
	out, err := exec.Command("bash", script, "--path").Output()
	if err != nil {
		return "", fmt.Errorf("%s --path: %w", script, err)
	}
	dir := strings.TrimSpace(string(out))
	if _, err := os.Stat(filepath.Join(dir, ".k3s-onprem-rootfs")); err != nil {
		return "", fmt.Errorf("rootfs not built at %s; run `bash tests/lab/rootfs.sh` (5-15 min, cached)", dir)
	}
	return dir, nil
}

// rootfsScript locates tests/lab/rootfs.sh: next to this source file (tests
// always build from source), else by walking up from the working directory
// to the module root.
func rootfsScript() (string, error) {
	if _, file, _, ok := runtime.Caller(0); ok {
		p := filepath.Join(filepath.Dir(file), "..", "rootfs.sh")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		p := filepath.Join(dir, "tests", "lab", "rootfs.sh")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("tests/lab/rootfs.sh not found (set LAB_ROOTFS)")
		}
		dir = parent
	}
}
