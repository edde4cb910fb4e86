package policies

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// TestRegistry_Declarations checks what the pack takes from the rules:
// unique names and orders, the guards after every other policy, and a
// default level, CIS ID and description on each.
func TestRegistry_Declarations(t *testing.T) {
	es := ordered(registered())
	names, orders := map[string]bool{}, map[int]string{}
	for i, e := range es {
		if names[e.name] {
			t.Errorf("policy %s is registered twice", e.name)
		}
		names[e.name] = true
		if other, ok := orders[e.order]; ok {
			t.Errorf("%s and %s share order %d", e.name, other, e.order)
		}
		orders[e.order] = e.name
		if e.cis == "" || e.what == "" {
			t.Errorf("%s lacks its CIS ID or what it checks", e.name)
		}
		guard := e.name == GuardResourceName || e.name == GuardStackName
		if guard != (e.order >= guardOrder) {
			t.Errorf("%s has order %d: only the guards take orders from %d", e.name, e.order, guardOrder)
		}
		if guard && i < len(es)-2 {
			t.Errorf("guard %s is not among the last two policies", e.name)
		}
	}
	if len(es) == 0 {
		t.Fatal("no policy registered")
	}
}

// TestRegistry_LevelsDeclared reads the rule literals of the package:
// policyx's zero enforcement level is advisory, so a rule without a level
// field would silently become advisory; every rule must state its level.
func TestRegistry_LevelsDeclared(t *testing.T) {
	fset := token.NewFileSet()
	paths, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, p := range paths {
		if strings.HasSuffix(p, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, p, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(node ast.Node) bool {
			lit, ok := node.(*ast.CompositeLit)
			if !ok {
				return true
			}
			id, ok := lit.Type.(*ast.Ident)
			if !ok || (id.Name != "resourceRule" && id.Name != "stackRule") {
				return true
			}
			n++
			keys := map[string]bool{}
			for _, el := range lit.Elts {
				if kv, ok := el.(*ast.KeyValueExpr); ok {
					if k, ok := kv.Key.(*ast.Ident); ok {
						keys[k.Name] = true
					}
				}
			}
			for _, k := range []string{"name", "order", "level", "cis", "what"} {
				if !keys[k] {
					t.Errorf("%s: %s literal without %s", fset.Position(lit.Pos()), id.Name, k)
				}
			}
			return true
		})
	}
	if want := len(ordered(registered())); n != want {
		t.Errorf("found %d rule literals, %d policies registered: every registered rule must be a literal this test can read", n, want)
	}
}
