package stacks

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"

	"k3s-onprem/internal/hoststep"
)

// declared reports whether r.Source (module-relative, read from the
// repository root "..") is a file of package pkg declaring r.Func's name as
// a function or, for fixed text, a constant or variable.
func declared(r hoststep.Renderer) error {
	pkg, name, _ := strings.Cut(r.Func, ".")
	f, err := parser.ParseFile(token.NewFileSet(), filepath.Join("..", filepath.FromSlash(r.Source)), nil, parser.SkipObjectResolution)
	if err != nil {
		return err
	}
	if f.Name.Name != pkg {
		return fmt.Errorf("%s is package %s, not %s", r.Source, f.Name.Name, pkg)
	}
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if d.Recv == nil && d.Name.Name == name {
				return nil
			}
		case *ast.GenDecl:
			for _, s := range d.Specs {
				if v, ok := s.(*ast.ValueSpec); ok {
					for _, n := range v.Names {
						if n.Name == name {
							return nil
						}
					}
				}
			}
		}
	}
	return fmt.Errorf("%s declares no %s", r.Source, name)
}

// Every file a step places names a renderer that is declared where it says,
// and every file with a "Managed by k3s-onprem" header names its step and
// renderer there.
func TestGraph_EveryHostFileNamesItsRenderer(t *testing.T) {
	checked := map[hoststep.Renderer]error{}
	for _, stack := range []string{"dev", "prod"} {
		p := planStack(t, stack, nil)
		files, err := hoststep.HostFiles(p)
		if err != nil {
			t.Fatal(err)
		}
		index, err := hoststep.HostFileProvenance(p)
		if err != nil {
			t.Fatal(err)
		}
		if len(index) == 0 {
			t.Fatalf("%s: no host files", stack)
		}
		for _, f := range index {
			r := f.Renderer
			if r == (hoststep.Renderer{}) {
				t.Errorf("%s: %s %s (step %s) names no renderer", stack, f.Node, f.Path, f.Step)
				continue
			}
			if _, done := checked[r]; !done {
				checked[r] = declared(r)
			}
			if err := checked[r]; err != nil {
				t.Errorf("%s: %s %s: renderer %s: %v", stack, f.Node, f.Path, r.Func, err)
			}
			content, ok := files[f.Node+f.Path]
			if !ok {
				t.Errorf("%s: %s %s is listed but not staged", stack, f.Node, f.Path)
			}
			want := fmt.Sprintf("%s (step %s; rendered by %s, %s)", hoststep.ManagedMarker, f.Step, r.Func, r.Source)
			if strings.Contains(string(content), hoststep.ManagedMarker) && !strings.Contains(string(content), want) {
				t.Errorf("%s: %s %s: header does not say %q", stack, f.Node, f.Path, want)
			}
		}
	}
}
