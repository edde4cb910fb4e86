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

// TestLib_DeleteRestoresWhatApplyReplaced runs a files-only step's apply
// and delete in a scratch state tree: a file that existed before is
// restored byte for byte (and mode) by delete, a file the step created is
// removed, a re-apply does not overwrite the record, and the records are
// gone afterwards.
func TestLib_DeleteRestoresWhatApplyReplaced(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("install -o root needs root")
	}
	root := t.TempDir()
	existing, created := filepath.Join(root, "etc", "issue.net"), filepath.Join(root, "etc", "new.conf")
	if err := os.MkdirAll(filepath.Dir(existing), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(existing, []byte("Debian GNU/Linux\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	s := Step{Name: "files", Script: "if [ \"$ACTION\" = delete ]; then remove_staged; else install_staged; fi", Files: []File{
		{Path: existing, Mode: 0o644, Content: []byte("Authorized access only\n")},
		{Path: created, Mode: 0o600, Content: []byte("x = 1\n")},
	}}
	b, err := s.Render()
	if err != nil {
		t.Fatal(err)
	}
	state := filepath.Join(root, "state")
	dir := filepath.Join(state, "steps", s.Name)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, f := range b.Files {
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f.RemotePath)), f.Content, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	run := func(action string) string {
		out, err := exec.Command("bash", filepath.Join(dir, "run.sh"), action).CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", action, err, out)
		}
		return string(out)
	}
	run("apply")
	if got, _ := os.ReadFile(existing); string(got) != "Authorized access only\n" {
		t.Fatalf("apply did not install %s: %q", existing, got)
	}
	run("apply")
	out := run("delete")
	got, err := os.ReadFile(existing)
	if err != nil || string(got) != "Debian GNU/Linux\n" {
		t.Errorf("delete did not restore %s: %q %v\n%s", existing, got, err, out)
	}
	if fi, err := os.Stat(existing); err != nil || fi.Mode().Perm() != 0o640 {
		t.Errorf("delete did not restore the mode of %s: %v %v", existing, fi, err)
	}
	if _, err := os.Stat(created); !os.IsNotExist(err) {
		t.Errorf("delete left %s: %v", created, err)
	}
	if _, err := os.Stat(filepath.Join(state, "restore")); !os.IsNotExist(err) {
		t.Errorf("delete left the records: %v", err)
	}
}
