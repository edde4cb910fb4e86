// Package k3sunit_test proves on a lab host that the rendered k3s unit lets
// k3s's children do what they must (TestLab_K3sUnitSandbox). It is its own
// package so that it builds without the Pulumi stacks.
package k3sunit_test

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"k3s-onprem/components/k3s"
	"k3s-onprem/tests/lab/labhost"
)

// oldK3sSandboxing is the k3s unit's sandboxing before issue 11 (the
// blog's set), kept here as test data: appended to the rendered unit it
// gives back the old unit, under which the sandbox probe must fail.
var oldK3sSandboxing = []string{
	"PrivateTmp=yes", "ProtectHome=yes", "ProtectHostname=yes", "ProtectKernelLogs=yes",
	"ProtectKernelTunables=yes", "ProtectSystem=full", "ReadWritePaths=/etc/rancher",
}

// Where the probe works on the lab host: kubelet's real directories and
// k3s's state directories, and hostPath sources under the trees a mount
// namespace sandbox hides or makes read-only.
const (
	probeBinary  = "/usr/local/bin/sandbox-probe"
	probeResults = "/run/sandbox-probe/results"
	kubeletDir   = "/var/lib/kubelet"
	probeVolume  = kubeletDir + "/sandbox-probe/volume"
)

var (
	probeHostPaths = []string{"/etc/sandbox-probe-hostpath", "/usr/local/sandbox-probe-hostpath",
		"/tmp/sandbox-probe-hostpath", "/home/sandbox-probe-hostpath"}
	probeStateDirs = []string{"/var/lib/rancher", "/run/k3s", "/etc/rancher"}
)

// TestLab_K3sUnitSandbox installs the rendered k3s units, server and agent
// (k3s.RenderUnit, what the dev stack's k3s-service step installs), on a lab host with a
// drop-in that replaces only ExecStart by the sandbox probe
// (tests/lab/sandboxprobe), starts it under the host's real systemd and
// checks that everything kubelet, runc and the CNI plugins need works in
// it. The same unit with the old sandboxing must fail exactly the checks
// that sandboxing breaks, so the probe provably bites.
func TestLab_K3sUnitSandbox(t *testing.T) {
	// Its own subnet: the lab's per-subnet lock does not make it wait for
	// the other lab tests.
	// CAP_SYSLOG: see kmsgNode.
	lab := labhost.StartWith(t, []labhost.HostSpec{{Name: "k3s-unit", Addresses: []string{"10.209.0.11"}}},
		labhost.Options{Capabilities: []string{"CAP_SYSLOG"}})
	probe := buildProbe(t)
	const host = "k3s-unit"
	nonce := randomHex(t)
	if err := lab.UploadMode(host, probeBinary, probe, 0o755); err != nil {
		t.Fatal(err)
	}
	prepareProbeHost(t, lab, host, nonce)

	rendered := map[string][]byte{}
	for _, role := range []string{k3s.RoleServer, k3s.RoleAgent} {
		u, err := k3s.RenderUnit(role)
		if err != nil {
			t.Fatal(err)
		}
		rendered[role] = u
	}
	server := rendered[k3s.RoleServer]
	old := append(append([]byte{}, server...), []byte(strings.Join(oldK3sSandboxing, "\n")+"\n")...)
	if !strings.HasSuffix(strings.TrimSpace(string(server)), "LockPersonality=yes") {
		// The old directives are appended to the [Service] section.
		t.Fatal("the rendered unit no longer ends in its [Service] section; adjust how the old unit is built")
	}

	allChecks := []string{"kmsg", "uts-namespace", "net-namespace", "route-localnet", "mount-propagation"}
	for _, p := range probeHostPaths {
		allChecks = append(allChecks, "hostpath:"+p)
	}
	for _, d := range probeStateDirs {
		allChecks = append(allChecks, "write:"+d)
	}

	for _, role := range []string{k3s.RoleServer, k3s.RoleAgent} {
		t.Run("rendered "+k3s.UnitName(role)+": every check passes", func(t *testing.T) {
			testRenderedUnit(t, lab, host, role, rendered[role], nonce, allChecks)
		})
	}

	t.Run("old sandboxing: the probe fails what it breaks", func(t *testing.T) {
		// What each old directive breaks, by check.
		wantFail := map[string]string{
			"kmsg":                                 "ProtectKernelLogs (/dev/kmsg inaccessible)",
			"uts-namespace":                        "ProtectHostname (sethostname filtered, inherited by runc)",
			"route-localnet":                       "ProtectKernelTunables (/proc/sys read-only)",
			"mount-propagation":                    "private mount namespace (ProtectSystem & co.)",
			"hostpath:/etc/sandbox-probe-hostpath": "ProtectSystem=full (/etc read-only)",
			"hostpath:/usr/local/sandbox-probe-hostpath": "ProtectSystem=full (/usr read-only)",
			"hostpath:/tmp/sandbox-probe-hostpath":       "PrivateTmp (another /tmp)",
			"hostpath:/home/sandbox-probe-hostpath":      "ProtectHome (empty /home)",
		}
		res := runProbeUnit(t, lab, host, k3s.RoleServer, old, nonce, func() {
			if hostSeesMount(t, lab, host, probeVolume) {
				t.Errorf("under the old unit the probe's tmpfs on %s reached the host; the check proves nothing", probeVolume)
			}
			// Show that systemd did apply the old directives.
			t.Logf("systemctl show:\n%s", lab.MustRun(t, host, "systemctl show k3s -p ProtectSystem -p ProtectHome -p PrivateTmp -p ProtectHostname -p ProtectKernelLogs -p ProtectKernelTunables -p ReadWritePaths"))
		})
		for _, c := range allChecks {
			r, ok := res[c]
			if !ok {
				t.Errorf("check %s missing", c)
				continue
			}
			why, shouldFail := wantFail[c]
			switch {
			case shouldFail && r.pass:
				t.Errorf("check %s passed under the old unit; %s should break it: %s", c, why, r.detail)
			case !shouldFail && !r.pass:
				t.Errorf("check %s failed under the old unit, which allows it: %s", c, r.detail)
			case shouldFail:
				t.Logf("%s fails as expected (%s): %s", c, why, r.detail)
			}
		}
	})
}

type probeResult struct {
	pass   bool
	detail string
}

// runProbeUnit installs unit as role's unit (k3s.service or
// k3s-agent.service) with a drop-in that only
// swaps ExecStart for the probe, starts it (Type=notify: start returns once
// the probe has run every check), lets whileRunning look from the host's
// side, stops it and returns the probe's results by check.
func runProbeUnit(t *testing.T, lab *labhost.Lab, host, role string, unit []byte, nonce string, whileRunning func()) map[string]probeResult {
	t.Helper()
	name := k3s.UnitName(role)
	if err := lab.UploadMode(host, k3s.UnitPath(role), unit, 0o600); err != nil {
		t.Fatal(err)
	}
	dropIn := fmt.Sprintf("[Service]\nExecStart=\nExecStart=%s -out %s -nonce %s -kubelet-dir %s -volume %s -hostpaths %s -state-dirs %s\n",
		probeBinary, probeResults, nonce, kubeletDir, probeVolume, strings.Join(probeHostPaths, ","), strings.Join(probeStateDirs, ","))
	dir := "/etc/systemd/system/" + name + ".d"
	// Stopped first: a previous case that failed half-way may have left it running.
	lab.MustRun(t, host, "systemctl stop k3s.service k3s-agent.service 2>/dev/null; mkdir -p "+dir+" && rm -f "+probeResults)
	if err := lab.Upload(host, dir+"/50-sandbox-probe.conf", []byte(dropIn)); err != nil {
		t.Fatal(err)
	}
	if out, errOut, err := lab.Run(host, "systemctl daemon-reload && timeout 60 systemctl start "+name, nil); err != nil {
		journal, _, _ := lab.Run(host, "journalctl -u "+name+" --no-pager -n 50", nil)
		t.Fatalf("start %s (probe): %v\n%s%s\njournal:\n%s", name, err, out, errOut, journal)
	}
	raw := lab.MustRun(t, host, "cat "+probeResults)
	t.Logf("probe results:\n%s", raw)
	whileRunning()
	lab.MustRun(t, host, "systemctl stop "+name)
	if hostSeesMount(t, lab, host, probeVolume) {
		t.Errorf("the probe's tmpfs on %s is still mounted after stop", probeVolume)
	}
	// Leave the host clean for the next case.
	var rm []string
	for _, d := range append(append([]string{}, probeHostPaths...), subDirs(probeStateDirs)...) {
		rm = append(rm, filepath.Join(d, "written-by-probe"))
	}
	lab.MustRun(t, host, "rm -f "+strings.Join(rm, " ")+" "+probeResults)

	if !strings.HasSuffix(raw, "DONE\n") {
		t.Fatalf("probe results incomplete:\n%s", raw)
	}
	res := map[string]probeResult{}
	for _, line := range strings.Split(strings.TrimSuffix(raw, "DONE\n"), "\n") {
		if line == "" {
			continue
		}
		f := strings.SplitN(line, " ", 3)
		if len(f) < 2 || (f[0] != "PASS" && f[0] != "FAIL") {
			t.Fatalf("bad probe line %q", line)
		}
		r := probeResult{pass: f[0] == "PASS"}
		if len(f) == 3 {
			r.detail = f[2]
		}
		res[f[1]] = r
	}
	return res
}

// prepareProbeHost makes the lab host look like a node before k3s starts:
// /etc/rancher exists (the k3s-token step creates it), the hostPath sources
// hold a marker written from the host's side, and /dev/kmsg exists (see
// kmsgNode).
func prepareProbeHost(t *testing.T, lab *labhost.Lab, host, nonce string) {
	t.Helper()
	var cmds []string
	cmds = append(cmds, "mkdir -p /etc/rancher")
	for _, d := range probeHostPaths {
		cmds = append(cmds, fmt.Sprintf("mkdir -p %s && echo %s > %s/host-marker", d, nonce, d))
	}
	lab.MustRun(t, host, strings.Join(cmds, " && "))
	kmsgNode(t, lab, host)
}

// kmsgNode makes sure the host has /dev/kmsg as a real host does (kubelet
// opens it). systemd-nspawn neither creates it in a container nor keeps
// CAP_SYSLOG, which reading it needs when the machine has
// kernel.dmesg_restrict=1; so the lab host is booted with CAP_SYSLOG (as a
// real host's root has) and gets the real device node (char 1:11). The
// check fails the test if the node still cannot be read: then the probe's
// kmsg check would prove nothing.
func kmsgNode(t *testing.T, lab *labhost.Lab, host string) {
	t.Helper()
	out := lab.MustRun(t, host, "if [ -e /dev/kmsg ]; then echo present; else mknod -m 0600 /dev/kmsg c 1 11 && echo created; fi; head -c 0 /dev/kmsg && echo readable")
	t.Logf("/dev/kmsg on the lab host: %s", strings.ReplaceAll(strings.TrimSpace(out), "\n", ", "))
}

// hostSeesMount reports whether PID 1's mount namespace (the host's, as
// seen over SSH) has a mount at path.
func hostSeesMount(t *testing.T, lab *labhost.Lab, host, path string) bool {
	t.Helper()
	out := lab.MustRun(t, host, "awk -v p="+path+" '$5 == p { print \"yes\" }' /proc/1/mountinfo")
	return strings.TrimSpace(out) != ""
}

func subDirs(dirs []string) []string {
	var out []string
	for _, d := range dirs {
		out = append(out, filepath.Join(d, "sandbox-probe"))
	}
	return out
}

// buildProbe builds tests/lab/sandboxprobe as a static binary for the lab
// host (same architecture as this machine).
func buildProbe(t *testing.T) []byte {
	t.Helper()
	out := filepath.Join(t.TempDir(), "sandbox-probe")
	cmd := exec.Command("go", "build", "-trimpath", "-o", out, "../sandboxprobe")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build the sandbox probe: %v\n%s", err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func randomHex(t *testing.T) string {
	t.Helper()
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// testRenderedUnit runs the probe under the rendered unit of role and wants
// every check to pass, also seen from the host's side.
func testRenderedUnit(t *testing.T, lab *labhost.Lab, host, role string, unit []byte, nonce string, allChecks []string) {
	t.Helper()
	res := runProbeUnit(t, lab, host, role, unit, nonce, func() {
		if !hostSeesMount(t, lab, host, probeVolume) {
			t.Errorf("the probe's tmpfs on %s is not in the host's /proc/1/mountinfo", probeVolume)
		}
		for _, d := range append(append([]string{}, probeHostPaths...), subDirs(probeStateDirs)...) {
			p := filepath.Join(d, "written-by-probe")
			if got := strings.TrimSpace(lab.MustRun(t, host, "cat "+p)); got != nonce {
				t.Errorf("host's %s = %q, want the probe's %q", p, got, nonce)
			}
		}
	})
	for _, c := range allChecks {
		if r, ok := res[c]; !ok || !r.pass {
			t.Errorf("check %s under the rendered unit: %+v (present %v)", c, r, ok)
		}
	}
	if len(res) != len(allChecks) {
		t.Errorf("probe reported %d checks, want %d: %v", len(res), len(allChecks), res)
	}
}
