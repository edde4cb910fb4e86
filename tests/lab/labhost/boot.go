package labhost

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/crypto/ssh"
)

// lock takes one flock per lab network: two labs on the same subnets would
// put the same gateway address on two bridges of the root namespace and
// route each other's traffic. go test runs packages in parallel, so this is
// a wait, not an error. Locks are taken in sorted order (no deadlock) and
// released by Close (or by the kernel when the process dies).
func (l *Lab) lock(timeout time.Duration) error {
	var nets []string
	for _, n := range l.Networks {
		nets = append(nets, strings.ReplaceAll(n.Prefix.String(), "/", "_"))
	}
	sort.Strings(nets)
	if err := os.MkdirAll("/run/lock", 0o755); err != nil {
		return err
	}
	deadline := time.Now().Add(timeout)
	for _, n := range nets {
		path := "/run/lock/k3s-onprem-lab-" + n + ".lock"
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			return err
		}
		logged := false
		for {
			err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
			if err == nil {
				break
			}
			if !errors.Is(err, syscall.EWOULDBLOCK) {
				f.Close()
				return fmt.Errorf("lock %s: %w", path, err)
			}
			if time.Now().After(deadline) {
				holder, _ := os.ReadFile(path)
				f.Close()
				return fmt.Errorf("another lab (%s) holds network %s for more than %s", strings.TrimSpace(string(holder)), strings.ReplaceAll(n, "_", "/"), timeout)
			}
			if !logged {
				holder, _ := os.ReadFile(path)
				l.logf("waiting for network %s, used by another lab (%s)", strings.ReplaceAll(n, "_", "/"), strings.TrimSpace(string(holder)))
				logged = true
			}
			time.Sleep(250 * time.Millisecond) // poll interval of a deadline-bounded wait
		}
		_ = f.Truncate(0)
		_, _ = f.WriteAt([]byte(fmt.Sprintf("pid %d, lab %s\n", os.Getpid(), l.Prefix)), 0)
		l.locks = append(l.locks, f)
	}
	return nil
}

// boot creates networks, overlays and host files, starts every host and
// waits for all of them.
func (l *Lab) boot(rootfs string, timeout time.Duration) error {
	if err := l.checkNetworksFree(); err != nil {
		return err
	}
	if err := os.MkdirAll(l.Dir, 0o700); err != nil {
		return err
	}
	l.record("state dir "+l.Dir, func() error { return removeStateDir(l.Dir) })
	// The owner pid lets cleanup.sh tell a crashed run from a live one.
	if err := os.WriteFile(filepath.Join(l.Dir, "owner.pid"), []byte(fmt.Sprint(os.Getpid())), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(l.ClientKeyPath(), l.clientKeyPEM, 0o600); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(l.Dir, "known_hosts"), []byte(l.KnownHosts()), 0o644); err != nil {
		return err
	}

	for _, n := range l.Networks {
		if err := l.addBridge(n); err != nil {
			return err
		}
	}
	for _, h := range l.Hosts {
		if err := l.prepareHost(h, rootfs); err != nil {
			return fmt.Errorf("host %s: %w", h.Name, err)
		}
	}
	for _, h := range l.Hosts {
		if err := l.startHost(h); err != nil {
			return fmt.Errorf("host %s: %w", h.Name, err)
		}
	}

	deadline := time.Now().Add(timeout)
	errs := make([]error, len(l.Hosts))
	var wg sync.WaitGroup
	for i, h := range l.Hosts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = l.waitReady(h, deadline)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// checkNetworksFree refuses to start when a root-namespace interface already
// has an address in a lab network: a leftover of a crashed run (remove it
// with tests/lab/cleanup.sh) or something else using the subnet.
func (l *Lab) checkNetworksFree() error {
	out, err := exec.Command("ip", "-o", "-4", "addr", "show").Output()
	if err != nil {
		return fmt.Errorf("ip addr show: %w", err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) < 4 {
			continue
		}
		p, err := netip.ParsePrefix(f[3])
		if err != nil {
			continue
		}
		for _, n := range l.Networks {
			if n.Prefix.Overlaps(p) {
				return fmt.Errorf("network %s is already in use by interface %s (%s); if it is a crashed lab run, `bash tests/lab/cleanup.sh` removes it", n.Prefix, f[1], p)
			}
		}
	}
	return nil
}

func (l *Lab) addBridge(n Network) error {
	if err := ip("link", "add", n.Bridge, "type", "bridge"); err != nil {
		return err
	}
	l.record("bridge "+n.Bridge, func() error { return ipIgnoreMissing("link", "del", n.Bridge) })
	if err := ip("addr", "add", fmt.Sprintf("%s/%d", n.Gateway, n.Prefix.Bits()), "dev", n.Bridge); err != nil {
		return err
	}
	return ip("link", "set", n.Bridge, "up")
}

// vethName is the root-namespace end of host h's interface j: short enough
// for IFNAMSIZ (15) with the run prefix.
func (l *Lab) vethName(h *Host, j int) string { return fmt.Sprintf("%sv%02d%d", l.Prefix, h.index, j) }

func (l *Lab) prepareHost(h *Host, rootfs string) error {
	if err := ip("netns", "add", h.Netns); err != nil {
		return err
	}
	l.record("netns "+h.Netns, func() error { return ipIgnoreMissing("netns", "del", h.Netns) })
	if err := ip("-n", h.Netns, "link", "set", "lo", "up"); err != nil {
		return err
	}
	for j, a := range h.Addresses {
		v, eth := l.vethName(h, j), fmt.Sprintf("eth%d", j)
		if err := ip("link", "add", v, "type", "veth", "peer", "name", eth, "netns", h.Netns); err != nil {
			return err
		}
		// Deleting the netns deletes the pair; this is for a failure in
		// between.
		l.record("veth "+v, func() error { return ipIgnoreMissing("link", "del", v) })
		if err := ip("link", "set", v, "master", l.Networks[j].Bridge, "up"); err != nil {
			return err
		}
		if err := ip("-n", h.Netns, "addr", "add", fmt.Sprintf("%s/%d", a, l.Networks[j].Prefix.Bits()), "dev", eth); err != nil {
			return err
		}
		if err := ip("-n", h.Netns, "link", "set", eth, "up"); err != nil {
			return err
		}
	}

	h.dir = filepath.Join(l.Dir, h.Name)
	root := filepath.Join(h.dir, "root")
	for _, d := range []string{"upper", "work", "root"} {
		if err := os.MkdirAll(filepath.Join(h.dir, d), 0o755); err != nil {
			return err
		}
	}
	// Each host writes only to its own upper dir; the cached rootfs stays
	// pristine and is shared by every host of every run.
	opts := fmt.Sprintf("lowerdir=%s,upperdir=%s,workdir=%s", rootfs, filepath.Join(h.dir, "upper"), filepath.Join(h.dir, "work"))
	if err := syscall.Mount("overlay", root, "overlay", 0, opts); err != nil {
		return fmt.Errorf("overlay mount: %w", err)
	}
	h.mounted = true
	l.record("overlay "+root, func() error { return unmount(root) })
	if err := l.writeHostFiles(h, root); err != nil {
		return err
	}

	for _, base := range cgroupRoots() {
		cg := filepath.Join(base, "k3s-onprem-lab", h.machine)
		if err := os.MkdirAll(cg, 0o755); err != nil {
			return fmt.Errorf("cgroup: %w", err)
		}
		h.cgroups = append(h.cgroups, cg)
	}
	cgs := h.cgroups
	l.record("cgroups of "+h.Name, func() error { return removeCgroups(cgs) })
	return nil
}

// writeHostFiles gives the host its identity. Besides keys, this carries two
// gotchas: /etc/hosts must resolve the hostname and resolv.conf must be empty,
// or keepalived stalls 10 s at startup on a DNS lookup that cannot succeed in
// the lab.
func (l *Lab) writeHostFiles(h *Host, root string) error {
	var hosts strings.Builder
	fmt.Fprintf(&hosts, "127.0.0.1\tlocalhost\n127.0.1.1\t%s\n::1\tlocalhost ip6-localhost ip6-loopback\n", h.Name)
	for _, o := range l.Hosts {
		fmt.Fprintf(&hosts, "%s\t%s\n", o.Addresses[0], o.Name)
	}
	keyPEM, err := hostKeyPEM(h)
	if err != nil {
		return err
	}
	mid := make([]byte, 16)
	if _, err := randRead(mid); err != nil {
		return err
	}
	files := []struct {
		path string
		mode os.FileMode
		data string
	}{
		{"etc/hostname", 0o644, h.Name + "\n"},
		{"etc/hosts", 0o644, hosts.String()},
		{"etc/resolv.conf", 0o644, ""},
		{"etc/machine-id", 0o444, fmt.Sprintf("%x\n", mid)},
		{"etc/ssh/ssh_host_ed25519_key", 0o600, string(keyPEM)},
		{"etc/ssh/ssh_host_ed25519_key.pub", 0o644, h.HostKey + " root@" + h.Name + "\n"},
		// Only the harness's key: sshd would otherwise log errors for the
		// RSA/ECDSA keys the rootfs deliberately does not ship.
		{"etc/ssh/sshd_config.d/00-lab-hostkey.conf", 0o644, "# k3s-onprem lab: the pinned per-host key\nHostKey /etc/ssh/ssh_host_ed25519_key\n"},
		{"root/.ssh/authorized_keys", 0o600, string(ssh.MarshalAuthorizedKey(l.signer.PublicKey()))},
	}
	for _, f := range files {
		p := filepath.Join(root, f.path)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		_ = os.Remove(p) // resolv.conf may be a symlink into the lower dir
		if err := os.WriteFile(p, []byte(f.data), f.mode); err != nil {
			return err
		}
		if err := os.Chmod(p, f.mode); err != nil { // umask
			return err
		}
	}
	return os.Chmod(filepath.Join(root, "root/.ssh"), 0o700)
}

// startHost execs systemd-nspawn for h with the flags the feasibility study
// found necessary (design: real-components.md §3):
//   - --keep-unit --register=no: there is no host systemd/machined to talk to;
//   - --network-namespace-path: the host's own netns with its veths;
//   - --capability=CAP_NET_ADMIN: nspawn drops it even with a netns, and
//     firewalld (nftables) and keepalived need it;
//   - SYSTEMD_NSPAWN_API_VFS_WRITABLE=network: /proc/sys/net is writable
//     (nspawn only does that itself for networks it creates), so network
//     sysctls apply to the host's own namespace like on a real server, while
//     kernel-wide keys stay read-only and cannot touch the machine's kernel;
//   - SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1: the guest sees pure cgroup2;
//   - its own cgroup (the shell wrapper moves itself there before exec):
//     from a shared cgroup every container gets the same /payload and their
//     systemds fight over the same unit cgroups (status=219/CGROUP).
func (l *Lab) startHost(h *Host) error {
	console, err := os.Create(filepath.Join(h.dir, "console.log"))
	if err != nil {
		return err
	}
	h.consoleFH = console
	args := []string{
		"-c", `for c in $LAB_CGROUPS; do echo $$ > "$c/cgroup.procs" || exit 97; done; exec "$@"`, "lab-nspawn",
		"systemd-nspawn", "--boot", "--register=no", "--keep-unit",
		"--network-namespace-path=/run/netns/" + h.Netns,
		"--capability=CAP_NET_ADMIN", "--console=passive",
		"--directory=" + filepath.Join(h.dir, "root"),
		"--machine=" + h.machine, "--hostname=" + h.Name,
		// The harness wrote these files; nspawn must not replace them.
		"--resolv-conf=off", "--timezone=off", "--link-journal=no",
	}
	for _, c := range l.extraCaps {
		args = append(args, "--capability="+c)
	}
	cmd := exec.Command("sh", args...)
	cmd.Env = append(os.Environ(), "SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1", "SYSTEMD_NSPAWN_API_VFS_WRITABLE=network", "LAB_CGROUPS="+strings.Join(h.cgroups, " "))
	cmd.Stdout, cmd.Stderr = console, console
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Setpgid: true,
		// If the test process dies without its cleanup (timeout panic,
		// SIGKILL), nspawn still powers the guest off; cleanup.sh removes
		// the rest.
		Pdeathsig: syscall.SIGTERM,
	}
	if err := cmd.Start(); err != nil {
		console.Close()
		return fmt.Errorf("start systemd-nspawn: %w", err)
	}
	h.cmd = cmd
	_ = os.WriteFile(filepath.Join(h.dir, "nspawn.pid"), []byte(fmt.Sprint(cmd.Process.Pid)), 0o644)
	go func() {
		_ = cmd.Wait()
		console.Close()
		close(h.exited)
	}()
	return nil
}

// waitReady polls until h answers SSH with its pinned key, then lets
// systemd itself wait for the end of boot.
func (l *Lab) waitReady(h *Host, deadline time.Time) error {
	start := time.Now()
	var lastErr error
	for {
		select {
		case <-h.exited:
			return fmt.Errorf("host %s: systemd-nspawn exited during boot (%v); see %s", h.Name, h.cmd.ProcessState, filepath.Join(h.dir, "console.log"))
		default:
		}
		c, err := l.dialHost(h, 2*time.Second)
		if err == nil && time.Now().After(deadline) {
			// The dial itself can outlast the deadline: an answer after
			// it is late (a fast boot must not beat a short timeout).
			c.Close()
			err = fmt.Errorf("SSH answered %s after the deadline", time.Since(deadline).Round(time.Millisecond))
		}
		if err == nil {
			h.clientMu.Lock()
			h.client = c
			h.clientMu.Unlock()
			break
		}
		lastErr = err
		if time.Now().After(deadline) {
			return fmt.Errorf("host %s: no SSH within the boot timeout: %v", h.Name, lastErr)
		}
		time.Sleep(100 * time.Millisecond) // poll interval of a deadline-bounded wait
	}
	sshAt := time.Since(start)
	left := time.Until(deadline).Round(time.Second)
	if left < time.Second {
		left = time.Second
	}
	out, _, err := l.Run(h.Name, fmt.Sprintf("timeout %d systemctl is-system-running --wait", int(left.Seconds())), nil)
	state := strings.TrimSpace(out)
	switch state {
	case "running":
	case "degraded":
		failed, _, _ := l.Run(h.Name, "systemctl --failed --no-legend --plain", nil)
		l.logf("host %s: systemd is degraded; failed units:\n%s", h.Name, failed)
	default:
		return fmt.Errorf("host %s: systemctl is-system-running = %q (%v)", h.Name, state, err)
	}
	h.ready = true
	l.logf("host %s: SSH after %s, systemd %s after %s", h.Name, sshAt.Round(time.Millisecond), state, time.Since(start).Round(time.Millisecond))
	return nil
}

// --- helpers -------------------------------------------------------------

func ip(args ...string) error {
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// ipIgnoreMissing is ip for teardown: an object that is already gone is
// the desired state.
func ipIgnoreMissing(args ...string) error {
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		s := string(out)
		if strings.Contains(s, "Cannot find device") || strings.Contains(s, "No such file") || strings.Contains(s, "does not exist") {
			return nil
		}
		return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(s))
	}
	return nil
}

// cgroupRoots are the hierarchies a container's processes must be moved in:
// the named systemd v1 hierarchy and cgroup2 on a hybrid machine, or just
// cgroup2 on a unified one.
func cgroupRoots() []string {
	var roots []string
	for _, p := range []string{"/sys/fs/cgroup/systemd", "/sys/fs/cgroup/unified"} {
		if _, err := os.Stat(filepath.Join(p, "cgroup.procs")); err == nil {
			roots = append(roots, p)
		}
	}
	if len(roots) == 0 {
		if _, err := os.Stat("/sys/fs/cgroup/cgroup.controllers"); err == nil {
			roots = append(roots, "/sys/fs/cgroup")
		}
	}
	return roots
}

// killCgroups kills every process left in the hosts' cgroups: cgroup.kill
// on cgroup2 (the whole subtree at once), else each listed pid. These are
// only the lab's own container processes.
func killCgroups(cgs []string) {
	for _, cg := range cgs {
		if err := os.WriteFile(filepath.Join(cg, "cgroup.kill"), []byte("1"), 0o644); err == nil {
			continue
		}
		_ = filepath.Walk(cg, func(p string, info os.FileInfo, err error) error {
			if err != nil || !info.IsDir() {
				return nil
			}
			b, _ := os.ReadFile(filepath.Join(p, "cgroup.procs"))
			for _, f := range strings.Fields(string(b)) {
				var pid int
				if _, err := fmt.Sscan(f, &pid); err == nil && pid > 1 {
					_ = syscall.Kill(pid, syscall.SIGKILL)
				}
			}
			return nil
		})
	}
}

// removeCgroups removes the cgroup trees deepest first. A cgroup whose last
// process just died can stay busy for a moment, so it retries until a
// deadline, killing stragglers.
func removeCgroups(cgs []string) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		var left []string
		for _, cg := range cgs {
			var dirs []string
			_ = filepath.Walk(cg, func(p string, info os.FileInfo, err error) error {
				if err == nil && info.IsDir() {
					dirs = append(dirs, p)
				}
				return nil
			})
			for i := len(dirs) - 1; i >= 0; i-- {
				if err := syscall.Rmdir(dirs[i]); err != nil && !errors.Is(err, syscall.ENOENT) {
					left = append(left, dirs[i])
				}
			}
		}
		if len(left) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("cgroups still busy: %v", left)
		}
		killCgroups(cgs)
		time.Sleep(100 * time.Millisecond) // poll interval of a deadline-bounded wait
	}
}

// unmount unmounts an overlay root, retrying briefly (the last container
// process may still be exiting), then detaching lazily as a last resort so
// the state dir can go.
func unmount(p string) error {
	deadline := time.Now().Add(5 * time.Second)
	for {
		err := syscall.Unmount(p, 0)
		if err == nil || errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.ENOENT) {
			return nil
		}
		if time.Now().After(deadline) {
			if err2 := syscall.Unmount(p, syscall.MNT_DETACH); err2 != nil {
				return fmt.Errorf("umount %s: %v; lazy: %v", p, err, err2)
			}
			return fmt.Errorf("umount %s: %v (detached lazily)", p, err)
		}
		time.Sleep(100 * time.Millisecond) // poll interval of a deadline-bounded wait
	}
}

// removeStateDir deletes a run's state dir, refusing while anything is
// still mounted below it (RemoveAll would descend into a host's root).
func removeStateDir(dir string) error {
	if m := mountsUnder(dir); len(m) > 0 {
		return fmt.Errorf("not removing %s: still mounted: %v", dir, m)
	}
	return os.RemoveAll(dir)
}

// mountsUnder lists mount points at or below dir (from this process's view).
func mountsUnder(dir string) []string {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) > 4 && (f[4] == dir || strings.HasPrefix(f[4], dir+"/")) {
			out = append(out, f[4])
		}
	}
	return out
}
