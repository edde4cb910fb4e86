package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/asset"

	"k3s-onprem/internal/hoststep"
	"k3s-onprem/internal/plan"
)

func copyTo(t *testing.T, name, host, path, content string) *plan.Resource {
	t.Helper()
	a, err := asset.FromText(content)
	if err != nil {
		t.Fatal(err)
	}
	return &plan.Resource{Type: "command:remote:CopyToRemote", Name: name, Custom: true, Inputs: resource.PropertyMap{
		"connection": resource.NewObjectProperty(resource.PropertyMap{"host": resource.NewStringProperty(host), "port": resource.NewNumberProperty(22)}),
		"remotePath": resource.NewStringProperty(path),
		"source":     resource.NewAssetProperty(a),
	}}
}

// Two resources writing one path on one node is an error, never a silent
// overwrite; the same path on two nodes is fine.
func TestHostFiles_RefusesToOverwrite(t *testing.T) {
	p := &plan.Plan{Nodes: map[string]string{"10.0.0.1:22": "a", "10.0.0.2:22": "b"}}
	p.Resources = []*plan.Resource{copyTo(t, "a-one", "10.0.0.1", "/etc/x", "1"), copyTo(t, "b-one", "10.0.0.2", "/etc/x", "2")}
	files, err := hoststep.HostFiles(p)
	if err != nil || len(files) != 2 {
		t.Fatalf("files %v, err %v", files, err)
	}
	p.Resources = append(p.Resources, copyTo(t, "a-two", "10.0.0.1", "/etc/x", "3"))
	if _, err := hoststep.HostFiles(p); err == nil || !strings.Contains(err.Error(), "never overwrites") {
		t.Fatalf("collision not refused: %v", err)
	}
	dir := t.TempDir()
	if err := writeNew(filepath.Join(dir, "f"), []byte("1")); err != nil {
		t.Fatal(err)
	}
	if err := writeNew(filepath.Join(dir, "f"), []byte("2")); err == nil {
		t.Fatal("writeNew overwrote a file")
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "f")); string(b) != "1" {
		t.Fatalf("content %q", b)
	}
}

// index.tsv has a line per installed file naming its step and renderer
// ("-" where the step names none), not the step's own run.sh or list.
func TestWriteIndex_LinePerHostFile(t *testing.T) {
	s := hoststep.Step{Name: "kernel", Script: "true", Files: []hoststep.File{
		{Path: "/etc/sysctl.d/90-k3s-onprem.conf", Mode: 0o644, Content: []byte("# Managed by k3s-onprem\n"),
			Renderer: hoststep.Renderer{Func: "host.RenderSysctl", Source: "components/host/render.go"}},
		{Path: "/etc/issue.net", Mode: 0o644, Content: []byte("hello\n")},
	}}
	b, err := s.Render()
	if err != nil {
		t.Fatal(err)
	}
	p := &plan.Plan{Nodes: map[string]string{"10.0.0.1:22": "node-a"}}
	for i, f := range b.Files {
		p.Resources = append(p.Resources, copyTo(t, "c"+string(rune('0'+i)), "10.0.0.1", f.RemotePath, string(f.Content)))
	}
	dir := t.TempDir()
	if err := writeIndex(p, dir); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(filepath.Join(dir, "index.tsv"))
	want := indexHeader +
		"node-a\t/etc/issue.net\tkernel\t-\t-\n" +
		"node-a\t/etc/sysctl.d/90-k3s-onprem.conf\tkernel\thost.RenderSysctl\tcomponents/host/render.go\n"
	if string(got) != want {
		t.Errorf("index.tsv\n%s\nwant\n%s", got, want)
	}
}

// TestRun_WritesTheCISExpectation: make render's output holds the
// expectation of every node of the stack.
func TestRun_WritesTheCISExpectation(t *testing.T) {
	out := filepath.Join(t.TempDir(), "dev")
	if err := run("../..", "dev", out); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(out, "cis-expectation.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(b), "node\trole\tbenchmark\tcheck\t") || !strings.Contains(string(b), "\t1.2.16\tmaster\tpass\t") {
		t.Errorf("cis-expectation.tsv:\n%.400s", b)
	}
}
