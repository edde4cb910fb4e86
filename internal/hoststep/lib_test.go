package hoststep

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// runLib runs apply_sysctl_file from lib.sh on a sysctl file, with
// systemd-detect-virt replaced so the host looks like a container or not.
// Only keys the kernel does not have are used: nothing is written.
func runLib(t *testing.T, container bool, exceptions, sysctlFile string) (string, error) {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	virt := "#!/bin/sh\nexit 1\n"
	if container {
		virt = "#!/bin/sh\nexit 0\n"
	}
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bin, "systemd-detect-virt"), []byte(virt), 0o755); err != nil {
		t.Fatal(err)
	}
	s := Step{Name: "sysctl", Script: `apply_sysctl_file "$STEP_DIR/test.conf"`, Vars: map[string]string{"CONTAINER_EXCEPTIONS": exceptions}}
	b, err := s.Render()
	if err != nil {
		t.Fatal(err)
	}
	run := b.Files[len(b.Files)-1].Content
	if err := os.WriteFile(filepath.Join(dir, "run.sh"), run, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "test.conf"), []byte(sysctlFile), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", filepath.Join(dir, "run.sh"), "apply")
	cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"))
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func TestLib_MisspelledSysctlFailsEverywhere(t *testing.T) {
	for _, container := range []bool{false, true} {
		out, err := runLib(t, container, "sysctl:net.ipv4.tcp_syncookies", "net.ipv4.tcp_syncookie = 1\n")
		if err == nil || !strings.Contains(out, "sysctl: error: unknown sysctl key net.ipv4.tcp_syncookie") {
			t.Errorf("container=%v: misspelled key: err=%v\n%s", container, err, out)
		}
	}
}

func TestLib_ContainerExceptionOnlyInContainerAndOnlyListed(t *testing.T) {
	const key = "kernel.k3s_onprem_absent"
	out, err := runLib(t, true, "sysctl:"+key, key+" = 1\n")
	if err != nil || !strings.Contains(out, "sysctl: warning: container exception sysctl:"+key+": ") {
		t.Errorf("listed key in a container: err=%v\n%s", err, out)
	}
	if _, err := runLib(t, false, "sysctl:"+key, key+" = 1\n"); err == nil {
		t.Error("a listed key failed outside a container without failing the step")
	}
	if _, err := runLib(t, true, "sysctl:kernel.other", key+" = 1\n"); err == nil {
		t.Error("an unlisted key failed in a container without failing the step")
	}
}
