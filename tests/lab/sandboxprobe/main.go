// Command sandboxprobe is a probe, not a fake k3s: run as the ExecStart of
// the rendered k3s unit on a lab host, it makes the same kernel requests
// that k3s's children make (kubelet, containerd, runc, CNI plugins) and
// reports, per check, whether the unit's sandbox lets them through. It runs
// nothing of Kubernetes. See README.md for the checks and what each
// stands for; TestLab_K3sUnitSandbox (tests/lab/k3sunit) is its only user.
//
// It writes one line per check ("PASS <check> <detail>" or "FAIL <check>
// <error>") to -out and to stdout (the journal), then "DONE", then tells
// systemd READY=1 (the unit is Type=notify, like k3s) and stays running
// until SIGTERM, so the test can look at its mount and files from the
// host's side while it lives. On SIGTERM it removes its mounts and exits 0.
package main

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
)

// Names of the files the probe and the test share inside the directories
// the test names on the command line.
const (
	markerName  = "host-marker"      // written by the test from the host's side
	writtenName = "written-by-probe" // written by the probe, read by the test
)

type result struct {
	name   string
	err    error
	detail string
}

func main() {
	out := flag.String("out", "", "results file")
	nonce := flag.String("nonce", "", "the text the test put into each hostPath marker file; the probe writes it back")
	kubeletDir := flag.String("kubelet-dir", "", "kubelet's root directory (made rshared, like kubelet does)")
	volume := flag.String("volume", "", "where to mount a tmpfs below -kubelet-dir, like a pod volume")
	hostPaths := flag.String("hostpaths", "", "comma-separated host directories holding "+markerName+", bind-mounted like hostPath volumes")
	stateDirs := flag.String("state-dirs", "", "comma-separated directories k3s writes; the probe writes a file below each")
	flag.Parse()
	for name, v := range map[string]string{"out": *out, "nonce": *nonce, "kubelet-dir": *kubeletDir, "volume": *volume, "hostpaths": *hostPaths, "state-dirs": *stateDirs} {
		if v == "" {
			fmt.Fprintf(os.Stderr, "sandboxprobe: -%s is required\n", name)
			os.Exit(2)
		}
	}
	if !strings.HasPrefix(*volume, *kubeletDir+"/") {
		fmt.Fprintln(os.Stderr, "sandboxprobe: -volume must be below -kubelet-dir")
		os.Exit(2)
	}

	var results []result
	add := func(name string, detail string, err error) {
		results = append(results, result{name, err, detail})
	}
	d, err := checkKmsg()
	add("kmsg", d, err)
	d, err = onOwnThread(checkUTSNamespace)
	add("uts-namespace", d, err)
	d, err = onOwnThread(checkNetNamespace)
	add("net-namespace", d, err)
	d, err = checkRouteLocalnet()
	add("route-localnet", d, err)
	madeBind, d, err := checkMountPropagation(*kubeletDir, *volume)
	add("mount-propagation", d, err)
	for _, dir := range strings.Split(*hostPaths, ",") {
		d, err = onOwnThread(func() (string, error) { return checkHostPath(dir, *nonce) })
		add("hostpath:"+dir, d, err)
	}
	for _, dir := range strings.Split(*stateDirs, ",") {
		d, err = checkWrite(dir, *nonce)
		add("write:"+dir, d, err)
	}

	var b strings.Builder
	for _, r := range results {
		if r.err != nil {
			fmt.Fprintf(&b, "FAIL %s %s\n", r.name, oneLine(r.err.Error()))
		} else {
			fmt.Fprintf(&b, "PASS %s %s\n", r.name, oneLine(r.detail))
		}
	}
	b.WriteString("DONE\n")
	fmt.Print(b.String())
	if err := writeAtomic(*out, b.String()); err != nil {
		fmt.Fprintln(os.Stderr, "sandboxprobe:", err)
		os.Exit(1)
	}
	if err := notifyReady(); err != nil {
		fmt.Fprintln(os.Stderr, "sandboxprobe: sd_notify:", err)
		os.Exit(1)
	}

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	<-sig
	// Leave the host as it was: the volume, and the bind if it was ours.
	_ = syscall.Unmount(*volume, syscall.MNT_DETACH)
	if madeBind {
		_ = syscall.Unmount(*kubeletDir, syscall.MNT_DETACH)
	}
}

// checkKmsg opens /dev/kmsg as kubelet's OOM watcher does (read, then seek
// to the end to follow new records).
func checkKmsg() (string, error) {
	f, err := os.OpenFile("/dev/kmsg", os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return "", err
	}
	defer f.Close()
	if _, err := f.Seek(0, 2); err != nil {
		return "", fmt.Errorf("seek to end: %w", err)
	}
	return "opened and followed", nil
}

// checkUTSNamespace does what runc does for a pod with its own UTS
// namespace (every pod without hostNetwork): unshare, then sethostname.
func checkUTSNamespace() (string, error) {
	if err := syscall.Unshare(syscall.CLONE_NEWUTS); err != nil {
		return "", fmt.Errorf("unshare(CLONE_NEWUTS): %w", err)
	}
	const name = "sandbox-probe-pod"
	if err := syscall.Sethostname([]byte(name)); err != nil {
		return "", fmt.Errorf("sethostname in the new UTS namespace: %w", err)
	}
	// Read per UTS namespace: this thread's.
	b, err := os.ReadFile("/proc/sys/kernel/hostname")
	if err != nil {
		return "", err
	}
	if got := strings.TrimSpace(string(b)); got != name {
		return "", fmt.Errorf("hostname reads %q after sethostname(%q)", got, name)
	}
	return "hostname set to " + name + " in a new UTS namespace", nil
}

// checkNetNamespace does what runc/CNI do for every non-hostNetwork pod.
func checkNetNamespace() (string, error) {
	before, err := os.Readlink("/proc/thread-self/ns/net")
	if err != nil {
		return "", err
	}
	if err := syscall.Unshare(syscall.CLONE_NEWNET); err != nil {
		return "", fmt.Errorf("unshare(CLONE_NEWNET): %w", err)
	}
	after, err := os.Readlink("/proc/thread-self/ns/net")
	if err != nil {
		return "", err
	}
	if after == before {
		return "", fmt.Errorf("still in %s after unshare", before)
	}
	ifs, err := net.Interfaces()
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("new %s with %d interface(s)", after, len(ifs)), nil
}

// checkRouteLocalnet writes the sysctl the portmap CNI plugin writes for
// hostPort (it writes 1 on the bridge; here the current value is written
// back, so the host's setting does not change).
func checkRouteLocalnet() (string, error) {
	const p = "/proc/sys/net/ipv4/conf/all/route_localnet"
	cur, err := os.ReadFile(p)
	if err != nil {
		return "", err
	}
	f, err := os.OpenFile(p, os.O_WRONLY, 0)
	if err != nil {
		return "", err
	}
	_, err = f.Write(cur)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", fmt.Errorf("write %s: %w", p, err)
	}
	return "wrote back " + strings.TrimSpace(string(cur)), nil
}

// checkMountPropagation does what kubelet does at start and for every
// volume: make kubeletDir a shared mount (bind it onto itself if it is not a
// mount point), then mount a tmpfs below it. The mount must be visible in
// the host's mount namespace (that of PID 1), or whatever outside k3s's
// namespace looks at pod volumes sees empty directories. madeBind says
// whether the self-bind was made here (and is to be undone at exit).
func checkMountPropagation(kubeletDir, volume string) (madeBind bool, _ string, _ error) {
	if err := os.MkdirAll(volume, 0o700); err != nil {
		return false, "", err
	}
	if !isMountPoint("/proc/self/mountinfo", kubeletDir) {
		if err := syscall.Mount(kubeletDir, kubeletDir, "", syscall.MS_BIND|syscall.MS_REC, ""); err != nil {
			return false, "", fmt.Errorf("bind %s onto itself: %w", kubeletDir, err)
		}
		madeBind = true
	}
	if err := syscall.Mount("", kubeletDir, "", syscall.MS_SHARED|syscall.MS_REC, ""); err != nil {
		return madeBind, "", fmt.Errorf("make %s rshared: %w", kubeletDir, err)
	}
	if err := syscall.Mount("tmpfs", volume, "tmpfs", syscall.MS_NOSUID|syscall.MS_NODEV, "size=1m"); err != nil {
		return madeBind, "", fmt.Errorf("mount tmpfs on %s: %w", volume, err)
	}
	if !isMountPoint("/proc/1/mountinfo", volume) {
		return madeBind, "", fmt.Errorf("tmpfs on %s is not in the host's mount namespace (/proc/1/mountinfo): mounts do not propagate out of the unit", volume)
	}
	return madeBind, "tmpfs on " + volume + " visible in /proc/1/mountinfo", nil
}

// checkHostPath does what runc does for a hostPath volume: in a new mount
// namespace (made a slave, as runc makes the container's), bind-mount the
// host directory onto a target, then read the marker the test wrote there
// from the host and write a file through the bind mount.
func checkHostPath(dir, nonce string) (string, error) {
	if err := syscall.Unshare(syscall.CLONE_NEWNS); err != nil {
		return "", fmt.Errorf("unshare(CLONE_NEWNS): %w", err)
	}
	if err := syscall.Mount("", "/", "", syscall.MS_SLAVE|syscall.MS_REC, ""); err != nil {
		return "", fmt.Errorf("make / rslave: %w", err)
	}
	target := "/run/sandbox-probe/target"
	if err := os.MkdirAll(target, 0o700); err != nil {
		return "", err
	}
	if err := syscall.Mount(dir, target, "", syscall.MS_BIND|syscall.MS_REC, ""); err != nil {
		return "", fmt.Errorf("bind %s (as runc does for a hostPath volume): %w", dir, err)
	}
	got, err := os.ReadFile(filepath.Join(target, markerName))
	if err != nil {
		return "", fmt.Errorf("the host's marker in %s: %w", dir, err)
	}
	if strings.TrimSpace(string(got)) != nonce {
		return "", fmt.Errorf("%s holds %q, not the host's marker %q: the unit sees another %s", dir, got, nonce, dir)
	}
	if err := os.WriteFile(filepath.Join(target, writtenName), []byte(nonce+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("write through the hostPath bind mount of %s: %w", dir, err)
	}
	return "host's marker read and file written through a bind mount of " + dir, nil
}

// checkWrite writes a file k3s-style under dir; the test reads it from the
// host's side.
func checkWrite(dir, nonce string) (string, error) {
	sub := filepath.Join(dir, "sandbox-probe")
	if err := os.MkdirAll(sub, 0o700); err != nil {
		return "", err
	}
	p := filepath.Join(sub, writtenName)
	if err := os.WriteFile(p, []byte(nonce+"\n"), 0o600); err != nil {
		return "", err
	}
	return "wrote " + p, nil
}

// onOwnThread runs fn on a locked OS thread that is thrown away afterwards:
// namespaces fn enters (unshare affects only the calling thread) never leak
// into the rest of the probe.
func onOwnThread(fn func() (string, error)) (string, error) {
	type ret struct {
		s   string
		err error
	}
	c := make(chan ret, 1)
	go func() {
		// No UnlockOSThread: the runtime ends a thread that exits locked.
		runtime.LockOSThread()
		s, err := fn()
		c <- ret{s, err}
	}()
	r := <-c
	return r.s, r.err
}

// isMountPoint reports whether mountinfo lists a mount at path.
func isMountPoint(mountinfo, path string) bool {
	b, err := os.ReadFile(mountinfo)
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) > 4 && f[4] == path {
			return true
		}
	}
	return false
}

// notifyReady sends READY=1 to $NOTIFY_SOCKET (the sd_notify protocol: one
// datagram on a unix socket; "@" means the abstract namespace).
func notifyReady() error {
	addr := os.Getenv("NOTIFY_SOCKET")
	if addr == "" {
		return errors.New("NOTIFY_SOCKET is not set (run it as a Type=notify unit)")
	}
	if strings.HasPrefix(addr, "@") {
		addr = "\x00" + addr[1:]
	}
	c, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: addr, Net: "unixgram"})
	if err != nil {
		return err
	}
	defer c.Close()
	_, err = c.Write([]byte("READY=1"))
	return err
}

func writeAtomic(path, data string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(data), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func oneLine(s string) string { return strings.ReplaceAll(s, "\n", " ") }
