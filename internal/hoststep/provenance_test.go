package hoststep

import (
	"reflect"
	"strings"
	"testing"
)

var zonesRenderer = Renderer{Func: "host.RenderZones", Source: "components/host/render.go"}

func stagedContent(t *testing.T, b Bundle, suffix string) string {
	t.Helper()
	for _, f := range b.Files {
		if strings.HasSuffix(f.RemotePath, suffix) {
			return string(f.Content)
		}
	}
	t.Fatalf("nothing staged as %s", suffix)
	return ""
}

func TestRender_HeaderNamesStepAndRenderer(t *testing.T) {
	for _, tc := range []struct{ content, want string }{
		{"# Managed by k3s-onprem; changes here are overwritten.\na = 1\n",
			"# Managed by k3s-onprem (step firewall; rendered by host.RenderZones, components/host/render.go); changes here are overwritten.\na = 1\n"},
		{"<?xml version=\"1.0\"?>\n<!-- Managed by k3s-onprem. -->\n<zone/>\n",
			"<?xml version=\"1.0\"?>\n<!-- Managed by k3s-onprem (step firewall; rendered by host.RenderZones, components/host/render.go). -->\n<zone/>\n"},
		// No header (JSON, tokens, a banner): the content stays as it is.
		{"{\"a\": 1}\n", "{\"a\": 1}\n"},
		// A marker deep in the body is not a header.
		{"a\nb\nc\n# Managed by k3s-onprem\n", "a\nb\nc\n# Managed by k3s-onprem\n"},
	} {
		s := Step{Name: "firewall", Script: "true", Files: []File{{Path: "/etc/x", Mode: 0o644, Content: []byte(tc.content), Renderer: zonesRenderer}}}
		b, err := s.Render()
		if err != nil {
			t.Fatal(err)
		}
		if got := stagedContent(t, b, "/root__etc__x"); got != tc.want {
			t.Errorf("staged\n%q\nwant\n%q", got, tc.want)
		}
	}
}

func TestRender_RunScriptListsRenderersAndReadsBack(t *testing.T) {
	s := Step{Name: "kernel", Script: "true", Files: []File{
		{Path: "/etc/b", Mode: 0o600, Content: []byte("b"), Renderer: Renderer{Func: "host.RenderSysctl", Source: "components/host/render.go"}},
		{Path: "/etc/a", Mode: 0o644, Content: []byte("a"), Renderer: zonesRenderer},
		{Path: "/etc/c", Mode: 0o644, Content: []byte("c")},
	}}
	b, err := s.Render()
	if err != nil {
		t.Fatal(err)
	}
	run := stagedContent(t, b, "/run.sh")
	if !strings.Contains(run, "\n# file /etc/a: rendered by host.RenderZones (components/host/render.go)\n# file /etc/b: rendered by host.RenderSysctl") {
		t.Errorf("run.sh does not list the renderers in path order:\n%s", run[:200])
	}
	want := map[string]Renderer{"/etc/a": zonesRenderer, "/etc/b": s.Files[0].Renderer}
	if got := ScriptProvenance(run); !reflect.DeepEqual(got, want) {
		t.Errorf("ScriptProvenance %v, want %v", got, want)
	}
	if v := ScriptVars(run); len(v) != 1 || v["STEP_NAME"] != "kernel" {
		t.Errorf("the file comments read as variables: %v", v)
	}
}

func TestRender_RefusesAMalformedRenderer(t *testing.T) {
	for _, r := range []Renderer{
		{Func: "RenderZones", Source: "components/host/render.go"},
		{Func: "host.RenderZones", Source: "/abs/render.go"},
		{Func: "host.RenderZones", Source: "components/host/render.go) --> <x"},
	} {
		s := Step{Name: "firewall", Script: "true", Files: []File{{Path: "/etc/x", Mode: 0o644, Content: []byte("x"), Renderer: r}}}
		if _, err := s.Render(); err == nil {
			t.Errorf("renderer %+v accepted", r)
		}
	}
}
