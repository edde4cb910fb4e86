package hoststep

import (
	"strings"
	"testing"
)

func TestRender_HashFollowsContent(t *testing.T) {
	s := Step{Name: "sysctl", Script: "install_staged\n", Files: []File{{Path: "/etc/sysctl.d/x.conf", Mode: 0o644, Content: []byte("a = 1\n")}}}
	a, err := s.Render()
	if err != nil {
		t.Fatal(err)
	}
	again, _ := s.Render()
	if a.Hash != again.Hash || a.Create != again.Create {
		t.Fatal("rendering is not deterministic")
	}
	s.Files[0].Content = []byte("a = 2\n")
	b, _ := s.Render()
	if a.Hash == b.Hash {
		t.Fatal("content change did not change the hash")
	}
	if !strings.Contains(b.Create, b.Hash) || b.Create != "bash /var/lib/k3s-onprem/steps/sysctl/run.sh apply "+b.Hash {
		t.Errorf("create command %q does not carry the hash", b.Create)
	}
	if b.Delete != "bash /var/lib/k3s-onprem/steps/sysctl/run.sh delete" {
		t.Errorf("delete command %q", b.Delete)
	}
}

func TestRender_StagesFilesAndList(t *testing.T) {
	s := Step{Name: "kernel", Script: "true", Vars: map[string]string{"B": "it's", "A": "1"}, Files: []File{
		{Path: "/etc/b", Mode: 0o600, Content: []byte("b")},
		{Path: "/etc/a", Mode: 0o644, Content: []byte("a")},
	}}
	b, err := s.Render()
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, f := range b.Files {
		paths = append(paths, f.RemotePath)
	}
	want := "/var/lib/k3s-onprem/steps/kernel/root__etc__a,/var/lib/k3s-onprem/steps/kernel/root__etc__b,/var/lib/k3s-onprem/steps/kernel/files.list,/var/lib/k3s-onprem/steps/kernel/run.sh"
	if strings.Join(paths, ",") != want {
		t.Errorf("staged paths:\n%s\nwant\n%s", strings.Join(paths, ","), want)
	}
	if string(b.Files[2].Content) != "0644 root__etc__a /etc/a\n0600 root__etc__b /etc/b\n" {
		t.Errorf("files.list: %q", b.Files[2].Content)
	}
	script := string(b.Files[3].Content)
	if !strings.Contains(script, "A='1'\nB='it'\\''s'\n") {
		t.Errorf("vars not quoted in order:\n%s", script)
	}
	if !strings.HasSuffix(script, "true\nfinish\n") {
		t.Error("script does not end with the body and finish")
	}
}

// Every staged file lives directly in the step directory, which Prepare
// creates: CopyToRemote creates no parent directories.
func TestRender_StagingIsFlat(t *testing.T) {
	b, err := Step{Name: "k", Files: []File{{Path: "/etc/deep/nested/file", Mode: 0o644}}}.Render()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range b.Files {
		if dir := f.RemotePath[:strings.LastIndex(f.RemotePath, "/")]; dir != b.Dir {
			t.Errorf("%s is not directly in %s", f.RemotePath, b.Dir)
		}
	}
	if b.Prepare != "install -d -m 0711 /var/lib/k3s-onprem /var/lib/k3s-onprem/steps && install -d -m 0700 /var/lib/k3s-onprem/steps/k" {
		t.Errorf("prepare: %q", b.Prepare)
	}
}

func TestRender_RejectsRelativePaths(t *testing.T) {
	if _, err := (Step{Name: "x", Files: []File{{Path: "etc/x"}}}).Render(); err == nil {
		t.Fatal("relative path accepted")
	}
	if _, err := (Step{Name: "a/b"}).Render(); err == nil {
		t.Fatal("step name with a slash accepted")
	}
}

// ParseStagedPath and ScriptVars read back what Render writes.
func TestReverseMappingRoundTrips(t *testing.T) {
	s := Step{Name: "kernel", Script: "true\n", Vars: map[string]string{"A": "it's", "B": ""},
		Files: []File{{Path: "/etc/sysctl.d/90-x.conf", Mode: 0o644, Content: []byte("x")}}}
	b, err := s.Render()
	if err != nil {
		t.Fatal(err)
	}
	step, path, ok := ParseStagedPath(b.Files[0].RemotePath)
	if !ok || step != "kernel" || path != "/etc/sysctl.d/90-x.conf" {
		t.Errorf("ParseStagedPath(%s) = %q, %q, %v", b.Files[0].RemotePath, step, path, ok)
	}
	run := b.Files[len(b.Files)-1]
	if step, path, ok := ParseStagedPath(run.RemotePath); !ok || step != "kernel" || path != "" {
		t.Errorf("ParseStagedPath(%s) = %q, %q, %v", run.RemotePath, step, path, ok)
	}
	if _, _, ok := ParseStagedPath("/etc/passwd"); ok {
		t.Error("a path outside the state dir parsed as staged")
	}
	vars := ScriptVars(string(run.Content))
	if vars["A"] != "it's" || vars["B"] != "" || vars["STEP_NAME"] != "kernel" {
		t.Errorf("ScriptVars = %v", vars)
	}
}
