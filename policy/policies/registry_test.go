package policies

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
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

// TestRegistry_PackServesDeclarations checks that the pack built from the
// registry serves every rule once, with its declared level and a
// description.
func TestRegistry_PackServesDeclarations(t *testing.T) {
	pack, err := New(devEnv())
	if err != nil {
		t.Fatal(err)
	}
	declared := map[string]policyx.EnforcementLevel{}
	rs, ss := registered()
	for _, r := range rs {
		declared[r.name] = r.level
	}
	for _, s := range ss {
		declared[s.name] = s.level
	}
	seen := map[string]bool{}
	for _, p := range pack.Policies() {
		if seen[p.Name()] {
			t.Errorf("duplicate policy %s", p.Name())
		}
		seen[p.Name()] = true
		if want, ok := declared[p.Name()]; !ok || p.EnforcementLevel() != want {
			t.Errorf("%s defaults to level %s, its rule declares %s", p.Name(), LevelName(p.EnforcementLevel()), LevelName(want))
		}
		if p.Description() == "" || strings.Contains(p.Description(), "`") {
			t.Errorf("%s: description %q is empty or Markdown", p.Name(), p.Description())
		}
	}
	if !slices.Equal(Names(), names(pack)) {
		t.Errorf("Names() = %v, the pack serves %v", Names(), names(pack))
	}
}

func names(pack policyx.PolicyPack) []string {
	var out []string
	for _, p := range pack.Policies() {
		out = append(out, p.Name())
	}
	return out
}
