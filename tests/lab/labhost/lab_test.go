package labhost

import (
	"bufio"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
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

	"k3s-onprem/tests/lab/runner"
)

// The lab runner executes the program's recorded host steps through a Lab.
var _ runner.Executor = (*Lab)(nil)

// twoHosts is the two-network layout in small: h1 is on both bridges, h2
// only on the internal one.
var twoHosts = []HostSpec{
	{Name: "h1", Addresses: []string{"10.203.0.11", "10.204.0.11"}},
	{Name: "h2", Addresses: []string{"10.203.0.12"}},
}

// TestLab_TwoHosts boots two hosts, proves each property the lab tier relies
// on, then tears the lab down and checks that nothing is left.
func TestLab_TwoHosts(t *testing.T) {
	l := Start(t, twoHosts)

	t.Run("PinnedSSH", func(t *testing.T) {
		for _, h := range l.Hosts {
			for _, target := range []string{h.Name, h.Addr()} {
				out := l.MustRun(t, target, "hostname; cat /proc/1/comm; ip -o -4 addr show")
				if !strings.HasPrefix(out, h.Name+"\nsystemd\n") {
					t.Errorf("%s: want hostname %s and systemd as PID 1, got:\n%s", target, h.Name, out)
				}
				for _, a := range h.Addresses {
					if !strings.Contains(out, " "+a.String()+"/24 ") {
						t.Errorf("%s: address %s missing:\n%s", target, a, out)
					}
				}
			}
			who, err := l.WhoAnswersSSH(h.Addr(), 5*time.Second)
			if err != nil || who != h.Name {
				t.Errorf("WhoAnswersSSH(%s) = %q, %v; want %s", h.Addr(), who, err, h.Name)
			}
			if !strings.HasPrefix(h.HostKey, "ssh-ed25519 AAAA") {
				t.Errorf("%s: HostKey %q is not an authorized_keys ed25519 key", h.Name, h.HostKey)
			}
		}
		if l.Hosts[0].HostKey == l.Hosts[1].HostKey {
			t.Error("hosts share a host key")
		}
		// The client key works for tools outside this package too.
		if _, err := ssh.ParsePrivateKey(l.ClientKeyPEM()); err != nil {
			t.Errorf("client key PEM: %v", err)
		}
		if b, err := os.ReadFile(l.ClientKeyPath()); err != nil || string(b) != string(l.ClientKeyPEM()) {
			t.Errorf("client key file: %v", err)
		}
	})

	t.Run("WrongPinnedKeyRefused", func(t *testing.T) {
		pub, _, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		random, err := ssh.NewPublicKey(pub)
		if err != nil {
			t.Fatal(err)
		}
		otherHost, _ := l.HostPublicKey("h2")
		for name, wrong := range map[string]ssh.PublicKey{"random key": random, "h2's key": otherHost} {
			c, err := l.SSHDial(l.Host("h1").Addr(), wrong, 5*time.Second)
			if err == nil {
				c.Close()
				t.Errorf("h1 accepted with %s pinned", name)
			} else if !strings.Contains(err.Error(), "host key mismatch") {
				t.Errorf("h1 with %s pinned: want a host key mismatch, got %v", name, err)
			}
		}
		if _, err := l.WhoAnswersSSH("10.203.0.1", time.Second); err == nil {
			t.Error("the bridge address answered SSH as a lab host")
		}
	})

	t.Run("OnlyLabAddresses", func(t *testing.T) {
		for _, a := range []string{"192.0.2.1", "10.203.1.1", "not-an-ip"} {
			if err := l.DialTCP(a, 22, time.Second); err == nil || !strings.Contains(err.Error(), "labhost:") {
				t.Errorf("DialTCP(%s) = %v; want refusal by the harness", a, err)
			}
		}
		for _, h := range l.Hosts {
			if out := l.MustRun(t, h.Name, "ip route show default"); strings.TrimSpace(out) != "" {
				t.Errorf("%s has a default route (could reach beyond the lab): %s", h.Name, out)
			}
		}
	})

	t.Run("Networks", func(t *testing.T) {
		// h1's eth1 is on the external bridge and reachable from the root
		// namespace; h2 has no route to that network at all.
		if err := l.DialTCP("10.204.0.11", 22, 5*time.Second); err != nil {
			t.Errorf("h1 eth1 (external bridge): %v", err)
		}
		tcp := "timeout 3 bash -c 'echo > /dev/tcp/%s/22' && echo ok || echo unreachable"
		if out := l.MustRun(t, "h2", fmt.Sprintf(tcp, "10.203.0.11")); strings.TrimSpace(out) != "ok" {
			t.Errorf("h2 -> h1 internal: %s", out)
		}
		if out := l.MustRun(t, "h2", fmt.Sprintf(tcp, "10.204.0.11")); strings.TrimSpace(out) != "unreachable" {
			t.Errorf("h2 -> h1 external: want unreachable, got %s", out)
		}
	})

	t.Run("SystemdAndFirewalld", func(t *testing.T) {
		for _, h := range l.Hosts {
			out := l.MustRun(t, h.Name, "systemctl is-active firewalld dbus ssh systemd-logind; firewall-cmd --state; systemd-analyze --version | head -n1")
			want := "active\nactive\nactive\nactive\nrunning\nsystemd 2"
			if !strings.HasPrefix(out, want) {
				t.Errorf("%s: got\n%s\nwant prefix\n%s", h.Name, out, want)
			}
		}
	})

	t.Run("FirewalldEnforcesTCP", func(t *testing.T) {
		h := l.Host("h1")
		l.MustRun(t, "h1", "systemd-run --unit=lab-http --property=WorkingDirectory=/tmp python3 -m http.server 8080 >/dev/null 2>&1")
		waitListening(t, l, "h1", "tcp", 8080)
		// firewalld's reject is ICMP admin-prohibited: "no route to host",
		// not "connection refused" (that would mean nothing listens).
		if err := l.DialTCP(h.Addr(), 8080, 3*time.Second); err == nil || !strings.Contains(err.Error(), "no route to host") {
			t.Fatalf("port 8080 with firewalld closed: want no route to host, got %v", err)
		}
		l.MustRun(t, "h1", "firewall-cmd -q --add-port=8080/tcp")
		if err := l.DialTCP(h.Addr(), 8080, 3*time.Second); err != nil {
			t.Fatalf("port 8080 after firewall-cmd --add-port: %v", err)
		}
		l.MustRun(t, "h1", "systemctl stop lab-http; firewall-cmd -q --remove-port=8080/tcp")
	})

	t.Run("UDPProbe", func(t *testing.T) {
		h := l.Host("h2")
		l.MustRun(t, "h2", "systemd-run --unit=lab-udp socat UDP4-RECVFROM:9999,fork PIPE >/dev/null 2>&1")
		waitListening(t, l, "h2", "udp", 9999)
		r, err := l.ProbeUDP(h.Addr(), 9999, []byte("ping"), 2*time.Second)
		if err != nil || !r.Prohibited {
			t.Errorf("udp 9999 closed by firewalld: %+v %v; want Prohibited", r, err)
		}
		l.MustRun(t, "h2", "firewall-cmd -q --add-port=9999/udp")
		r, err = l.ProbeUDP(h.Addr(), 9999, []byte("ping"), 2*time.Second)
		if err != nil || string(r.Reply) != "ping" {
			t.Errorf("udp 9999 open: %+v %v; want the echo", r, err)
		}
		l.MustRun(t, "h2", "systemctl stop lab-udp")
		r, err = l.ProbeUDP(h.Addr(), 9999, []byte("ping"), 2*time.Second)
		if err != nil || !r.Refused {
			t.Errorf("udp 9999 open, nothing listening: %+v %v; want Refused", r, err)
		}
	})

	t.Run("Upload", func(t *testing.T) {
		data := []byte("#!/bin/sh\necho \"it's here\"\n")
		if err := l.UploadMode("h1", "/root/it's.sh", data, 0o750); err != nil {
			t.Fatal(err)
		}
		out := l.MustRun(t, "h1", `stat -c '%a %s' "/root/it's.sh"; "/root/it's.sh"`)
		if want := fmt.Sprintf("750 %d\nit's here\n", len(data)); out != want {
			t.Errorf("got %q, want %q", out, want)
		}
		if err := l.Upload("10.203.0.12", "/root/empty", nil); err != nil {
			t.Fatal(err)
		}
		if out := l.MustRun(t, "h2", "stat -c '%a %s' /root/empty"); out != "644 0\n" {
			t.Errorf("empty upload: %q", out)
		}
		// Like CopyToRemote: a missing parent directory is an error.
		if err := l.Upload("h1", "/nonexistent/dir/file", data); err == nil || !strings.Contains(err.Error(), "no such directory") {
			t.Errorf("upload into a missing directory: %v", err)
		}
	})

	t.Run("Stdin", func(t *testing.T) {
		out, _, err := l.Run("h2", "sha256sum", []byte("abc"))
		if err != nil || !strings.HasPrefix(out, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad") {
			t.Errorf("stdin: %q %v", out, err)
		}
		_, _, err = l.Run("h2", "exit 3", nil)
		if e, ok := err.(*ssh.ExitError); !ok || e.ExitStatus() != 3 {
			t.Errorf("exit status: %v", err)
		}
	})

	start := time.Now()
	if err := l.Close(); err != nil {
		t.Fatalf("teardown: %v", err)
	}
	t.Logf("explicit teardown took %s", time.Since(start).Round(time.Millisecond))
	assertNoLeftovers(t, l.Prefix)
}

// waitListening polls until a socket listens on port inside host.
func waitListening(t *testing.T, l *Lab, host, proto string, port int) {
	t.Helper()
	flag := map[string]string{"tcp": "-tln", "udp": "-uln"}[proto]
	cmd := fmt.Sprintf("for i in $(seq 100); do ss -H %s 'sport = :%d' | grep -q . && exit 0; sleep 0.1; done; exit 1", flag, port)
	if _, stderr, err := l.Run(host, cmd, nil); err != nil {
		t.Fatalf("%s: nothing listens on %s/%d after 10 s: %v %s", host, proto, port, err, stderr)
	}
}

func assertNoLeftovers(t *testing.T, prefix string) {
	t.Helper()
	if left := Leftovers(prefix); len(left) > 0 {
		t.Errorf("teardown left:\n%s", strings.Join(left, "\n"))
	}
	// And a direct look, independent of Leftovers' own parsing.
	for _, c := range [][]string{{"ip", "netns", "list"}, {"ip", "-o", "link", "show"}, {"cat", "/proc/self/mountinfo"}} {
		out, _ := exec.Command(c[0], c[1:]...).CombinedOutput()
		if strings.Contains(string(out), prefix) {
			t.Errorf("%s still mentions %s:\n%s", strings.Join(c, " "), prefix, out)
		}
	}
}

// failingTB is a testing.TB whose Fatal ends only the goroutine it is
// called on, and which collects cleanups instead of running them, so a test
// can watch what a failing test's cleanup leaves.
type failingTB struct {
	testing.TB
	mu       sync.Mutex
	cleanups []func()
	fatal    string
	errors   []string
}

func (f *failingTB) Cleanup(fn func()) {
	f.mu.Lock()
	f.cleanups = append(f.cleanups, fn)
	f.mu.Unlock()
}
func (f *failingTB) Fatal(args ...any) { f.fatal = fmt.Sprint(args...); runtime.Goexit() }
func (f *failingTB) Fatalf(format string, args ...any) {
	f.fatal = fmt.Sprintf(format, args...)
	runtime.Goexit()
}
func (f *failingTB) Errorf(format string, args ...any) {
	f.errors = append(f.errors, fmt.Sprintf(format, args...))
}
func (f *failingTB) Skip(args ...any) { f.TB.Skip(args...) }

// runCleanups runs them the way testing does: last registered first.
func (f *failingTB) runCleanups() {
	for i := len(f.cleanups) - 1; i >= 0; i-- {
		f.cleanups[i]()
	}
}

// TestLab_TeardownAfterFailedBoot fails Start after every resource exists
// (a boot timeout of 1 ns) and checks that the cleanup Start registered
// removes all of it: the path a failing test takes.
func TestLab_TeardownAfterFailedBoot(t *testing.T) {
	requireLab(t)
	f := &failingTB{TB: t}
	var l *Lab
	done := make(chan struct{})
	go func() {
		defer close(done)
		l = StartWith(f, []HostSpec{{Name: "f1", Addresses: []string{"10.203.0.31"}}}, Options{BootTimeout: time.Nanosecond})
	}()
	<-done
	if l != nil || !strings.Contains(f.fatal, "no SSH within the boot timeout") {
		f.runCleanups() // leave no lab behind for the next tests
		t.Fatalf("want Start to fail on the boot timeout, got lab=%v fatal=%q", l != nil, f.fatal)
	}
	prefix := strings.Fields(strings.TrimPrefix(f.fatal, "lab "))[0]
	prefix = strings.TrimSuffix(prefix, ":")
	if len(Leftovers(prefix)) == 0 {
		t.Fatalf("nothing of %s exists before cleanup; the test proves nothing", prefix)
	}
	f.runCleanups()
	if len(f.errors) > 0 {
		t.Errorf("cleanup errors: %v", f.errors)
	}
	assertNoLeftovers(t, prefix)
}

// TestCleanupScript_RemovesCrashedRun boots a lab in a child test process,
// SIGKILLs that process (no cleanup runs, as in a crash or a go test
// timeout), and checks that cleanup.sh removes everything it left.
func TestCleanupScript_RemovesCrashedRun(t *testing.T) {
	if os.Getenv("LABHOST_CRASH_CHILD") == "1" {
		l := Start(t, []HostSpec{{Name: "c1", Addresses: []string{"10.203.0.41"}}})
		fmt.Printf("LAB-PREFIX %s\n", l.Prefix)
		select {} // wait to be killed
	}
	requireLab(t)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	child := exec.Command(exe, "-test.run=^TestCleanupScript_RemovesCrashedRun$", "-test.v")
	child.Env = append(os.Environ(), "LABHOST_CRASH_CHILD=1")
	stdout, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	child.Stderr = os.Stderr
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	prefix := ""
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) == 2 && f[0] == "LAB-PREFIX" {
			prefix = f[1]
			break
		}
		t.Logf("child: %s", sc.Text())
	}
	if prefix == "" {
		_ = child.Process.Kill()
		_ = child.Wait()
		t.Fatal("child did not report a lab prefix")
	}
	_ = child.Process.Signal(syscall.SIGKILL)
	_ = child.Wait()
	if left := Leftovers(prefix); len(left) == 0 {
		t.Fatal("the killed run left nothing; the test proves nothing")
	} else {
		t.Logf("the killed run left %d objects, e.g. %s", len(left), left[0])
	}
	script, err := filepath.Abs("../cleanup.sh")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	out, err := exec.Command("bash", script).CombinedOutput()
	if err != nil {
		t.Fatalf("cleanup.sh: %v\n%s", err, out)
	}
	t.Logf("cleanup.sh took %s:\n%s", time.Since(start).Round(time.Millisecond), out)
	assertNoLeftovers(t, prefix)
}

// requireLab skips (or fails under CI=true) like Start does, for tests that
// start labs in unusual ways.
func requireLab(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("lab tier needs root (CI=true: failing instead of skipping)")
		}
		t.Skip("lab tier unavailable: needs root")
	}
	if _, err := findRootFS(""); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip("lab tier unavailable: ", err)
	}
}
