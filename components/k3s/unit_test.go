package k3s

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestUnit_SystemdAnalyzeVerify checks both units with systemd-analyze in a
// temporary root holding the units, a dummy k3s and modprobe, and the
// system's targets and slices (so only our files are judged).
func TestUnit_SystemdAnalyzeVerify(t *testing.T) {
	sa, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze not installed; the unit is only checked by its golden file")
	}
	for _, role := range []string{RoleServer, RoleAgent} {
		t.Run(role, func(t *testing.T) {
			root := t.TempDir()
			unit, err := RenderUnit(role)
			if err != nil {
				t.Fatal(err)
			}
			write := func(p string, b []byte, mode os.FileMode) {
				dst := filepath.Join(root, p)
				if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(dst, b, mode); err != nil {
					t.Fatal(err)
				}
			}
			write(UnitPath(role), unit, 0o600)
			write(BinaryPath, []byte("#!/bin/sh\n"), 0o755)
			write("/sbin/modprobe", []byte("#!/bin/sh\n"), 0o755)
			for _, pattern := range []string{"*.target", "*.slice"} {
				matches, _ := filepath.Glob(filepath.Join("/usr/lib/systemd/system", pattern))
				for _, m := range matches {
					if fi, err := os.Lstat(m); err != nil || !fi.Mode().IsRegular() {
						continue
					}
					b, err := os.ReadFile(m)
					if err != nil {
						t.Fatal(err)
					}
					write(strings.TrimPrefix(m, "/"), b, 0o644)
				}
			}
			out, err := exec.Command(sa, "verify", "--root="+root, filepath.Join(root, UnitPath(role))).CombinedOutput()
			if err != nil || len(strings.TrimSpace(string(out))) > 0 {
				t.Errorf("systemd-analyze verify %s: %v\n%s", UnitName(role), err, out)
			}
		})
	}
}

// TestUnit_Sandboxing pins the usual k3s settings and the one sandboxing
// option k3s's children tolerate, and refuses the options that break them:
// a private mount namespace, a UTS namespace, or a seccomp filter that runc
// and every container would inherit (TestLab_K3sUnitSandbox in
// tests/lab/k3sunit shows each failure under the real systemd).
func TestUnit_Sandboxing(t *testing.T) {
	for _, role := range []string{RoleServer, RoleAgent} {
		u, err := RenderUnit(role)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"Type=notify", "Delegate=yes", "KillMode=process", "LimitNOFILE=1048576",
			"Restart=always", "LockPersonality=yes", "ExecStart=/usr/local/bin/k3s " + role} {
			if !strings.Contains(string(u), "\n"+want+"\n") {
				t.Errorf("%s unit lacks %q", role, want)
			}
		}
		for _, banned := range []string{"Environment", "K3S_TOKEN", "--token",
			// private mount namespace: kubelet's mounts stop propagating,
			// hostPath volumes see the sandbox instead of the host
			"ProtectSystem", "ProtectHome", "PrivateTmp", "PrivateDevices", "PrivateMounts", "ReadWritePaths",
			"ReadOnlyPaths", "InaccessiblePaths", "TemporaryFileSystem", "ProtectKernelTunables",
			"ProtectKernelLogs", "ProtectKernelModules", "ProtectControlGroups", "ProtectProc", "ProcSubset",
			// seccomp filters or namespaces every container inherits
			"ProtectHostname", "ProtectClock", "SystemCallFilter", "RestrictNamespaces", "NoNewPrivileges",
			"RestrictSUIDSGID", "MemoryDenyWriteExecute", "RestrictAddressFamilies", "CapabilityBoundingSet",
			"PrivateNetwork", "PrivateUsers", "DevicePolicy", "DeviceAllow"} {
			if strings.Contains(string(u), "\n"+banned+"=") {
				t.Errorf("%s unit carries %s", role, banned)
			}
		}
	}
}
