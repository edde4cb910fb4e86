// Package extract reads facts (names and kinds) out of upstream source
// files for the fact tables in internal/upstream/facts. It parses; it never
// copies upstream code or text.
package extract

import (
	"fmt"
	"go/ast"
	"go/build/constraint"
	"go/parser"
	"go/token"
	"sort"
	"strconv"
	"strings"
)

// K3sCommand is what one k3s command (server or agent) accepts: flag name
// -> kind, and alias -> flag name. config.yaml keys are flag names or
// aliases (k3s turns each key into --key before parsing the command line).
type K3sCommand struct {
	Flags   map[string]string `json:"flags"`
	Aliases map[string]string `json:"aliases,omitempty"`
}

// flagKinds maps urfave/cli flag types (v1 and v2) to the kinds the fact
// tables record.
var flagKinds = map[string]string{
	"StringFlag":      "string",
	"BoolFlag":        "bool",
	"BoolTFlag":       "bool",
	"IntFlag":         "int",
	"Int64Flag":       "int64",
	"UintFlag":        "uint",
	"Uint64Flag":      "uint64",
	"Float64Flag":     "float64",
	"DurationFlag":    "duration",
	"StringSliceFlag": "string-slice",
	"IntSliceFlag":    "int-slice",
	"Int64SliceFlag":  "int64-slice",
	"GenericFlag":     "generic",
	"PathFlag":        "string",
	"TimestampFlag":   "timestamp",
}

// K3sFlags parses the Go files of k3s's pkg/cli/cmds (name -> content) as
// built for linux without extra build tags, and returns the flags of the
// commands NewServerCommand and NewAgentCommand build.
func K3sFlags(files map[string][]byte) (server, agent K3sCommand, err error) {
	p := &cmdsPackage{vars: map[string]ast.Expr{}, funcs: map[string]*ast.FuncDecl{}, fset: token.NewFileSet()}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if !buildsOnLinux(n, files[n]) {
			continue
		}
		f, err := parser.ParseFile(p.fset, n, files[n], parser.ParseComments)
		if err != nil {
			return server, agent, err
		}
		p.add(f)
	}
	if server, err = p.command("NewServerCommand"); err != nil {
		return server, agent, err
	}
	agent, err = p.command("NewAgentCommand")
	return server, agent, err
}

// buildsOnLinux reports whether a file is part of a default linux/amd64
// build: no _test or other-OS suffix, and a //go:build line (if any) true
// for linux without custom tags.
func buildsOnLinux(name string, src []byte) bool {
	if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
		return false
	}
	base := strings.TrimSuffix(name[strings.LastIndex(name, "/")+1:], ".go")
	for _, os := range []string{"windows", "darwin", "freebsd", "openbsd", "netbsd", "solaris", "plan9", "js", "wasip1"} {
		if strings.HasSuffix(base, "_"+os) {
			return false
		}
	}
	for _, line := range strings.Split(string(src), "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "package ") {
			break
		}
		if constraint.IsGoBuild(line) {
			expr, err := constraint.Parse(line)
			if err != nil {
				return false
			}
			return expr.Eval(func(tag string) bool {
				switch tag {
				case "linux", "amd64", "unix", "gc", "cgo":
					return true
				}
				return strings.HasPrefix(tag, "go1.")
			})
		}
	}
	return true
}

type cmdsPackage struct {
	fset  *token.FileSet
	vars  map[string]ast.Expr
	funcs map[string]*ast.FuncDecl
}

func (p *cmdsPackage) add(f *ast.File) {
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if d.Recv == nil {
				p.funcs[d.Name.Name] = d
			}
		case *ast.GenDecl:
			if d.Tok != token.VAR {
				continue
			}
			for _, s := range d.Specs {
				vs := s.(*ast.ValueSpec)
				for i, n := range vs.Names {
					if i < len(vs.Values) {
						p.vars[n.Name] = vs.Values[i]
					}
				}
			}
		}
	}
}

// command finds the Flags field of the cli.Command literal the named
// function returns and resolves it to flags.
func (p *cmdsPackage) command(fn string) (K3sCommand, error) {
	cmd := K3sCommand{Flags: map[string]string{}, Aliases: map[string]string{}}
	f, ok := p.funcs[fn]
	if !ok {
		return cmd, fmt.Errorf("no func %s in pkg/cli/cmds", fn)
	}
	var flagsExpr ast.Expr
	ast.Inspect(f.Body, func(n ast.Node) bool {
		kv, ok := n.(*ast.KeyValueExpr)
		if ok && flagsExpr == nil {
			if id, ok := kv.Key.(*ast.Ident); ok && id.Name == "Flags" {
				flagsExpr = kv.Value
			}
		}
		return flagsExpr == nil
	})
	if flagsExpr == nil {
		return cmd, fmt.Errorf("%s: no Flags field", fn)
	}
	if err := p.resolve(flagsExpr, &cmd, map[string]bool{}); err != nil {
		return cmd, fmt.Errorf("%s: %w", fn, err)
	}
	return cmd, nil
}

func (p *cmdsPackage) resolve(e ast.Expr, cmd *K3sCommand, seen map[string]bool) error {
	switch e := e.(type) {
	case *ast.ParenExpr:
		return p.resolve(e.X, cmd, seen)
	case *ast.UnaryExpr:
		return p.resolve(e.X, cmd, seen)
	case *ast.Ident:
		if seen[e.Name] {
			return nil
		}
		seen[e.Name] = true
		if v, ok := p.vars[e.Name]; ok {
			return p.resolve(v, cmd, seen)
		}
		return fmt.Errorf("%s: identifier %s is no package-level var", p.fset.Position(e.Pos()), e.Name)
	case *ast.CallExpr:
		if id, ok := e.Fun.(*ast.Ident); ok {
			if id.Name == "append" {
				for _, a := range e.Args {
					if err := p.resolve(a, cmd, seen); err != nil {
						return err
					}
				}
				return nil
			}
			if fn, ok := p.funcs[id.Name]; ok {
				return p.resolveReturns(fn, cmd, seen)
			}
		}
		return fmt.Errorf("%s: call the extractor cannot follow", p.fset.Position(e.Pos()))
	case *ast.CompositeLit:
		switch t := e.Type.(type) {
		case *ast.ArrayType:
			for _, el := range e.Elts {
				if err := p.resolve(el, cmd, seen); err != nil {
					return err
				}
			}
			return nil
		case *ast.SelectorExpr:
			return p.flag(t.Sel.Name, e, cmd)
		}
	}
	return fmt.Errorf("%s: expression the extractor cannot follow", p.fset.Position(e.Pos()))
}

// resolveReturns follows a package function that builds a flag slice.
func (p *cmdsPackage) resolveReturns(fn *ast.FuncDecl, cmd *K3sCommand, seen map[string]bool) error {
	if seen["func "+fn.Name.Name] {
		return nil
	}
	seen["func "+fn.Name.Name] = true
	var err error
	ast.Inspect(fn.Body, func(n ast.Node) bool {
		if r, ok := n.(*ast.ReturnStmt); ok && err == nil {
			for _, x := range r.Results {
				if e := p.resolve(x, cmd, seen); e != nil {
					err = e
				}
			}
		}
		return true
	})
	return err
}

// flag records one cli.XFlag literal: v1 writes aliases into Name
// ("server, s"), v2 into Aliases.
func (p *cmdsPackage) flag(typ string, lit *ast.CompositeLit, cmd *K3sCommand) error {
	kind, ok := flagKinds[typ]
	if !ok {
		return fmt.Errorf("%s: unknown flag type %s", p.fset.Position(lit.Pos()), typ)
	}
	var names []string
	for _, el := range lit.Elts {
		kv, ok := el.(*ast.KeyValueExpr)
		if !ok {
			continue
		}
		key, _ := kv.Key.(*ast.Ident)
		if key == nil {
			continue
		}
		switch key.Name {
		case "Name":
			s, err := p.stringValue(kv.Value)
			if err != nil {
				return err
			}
			for _, n := range strings.Split(s, ",") {
				names = append(names, strings.TrimSpace(n))
			}
		case "Aliases":
			cl, ok := kv.Value.(*ast.CompositeLit)
			if !ok {
				return fmt.Errorf("%s: Aliases is no literal", p.fset.Position(kv.Pos()))
			}
			for _, a := range cl.Elts {
				s, err := p.stringValue(a)
				if err != nil {
					return err
				}
				names = append(names, s)
			}
		}
	}
	if len(names) == 0 || names[0] == "" {
		return fmt.Errorf("%s: flag without a name", p.fset.Position(lit.Pos()))
	}
	cmd.Flags[names[0]] = kind
	for _, a := range names[1:] {
		cmd.Aliases[a] = names[0]
	}
	return nil
}

func (p *cmdsPackage) stringValue(e ast.Expr) (string, error) {
	if bl, ok := e.(*ast.BasicLit); ok && bl.Kind == token.STRING {
		return strconv.Unquote(bl.Value)
	}
	return "", fmt.Errorf("%s: flag name is no string literal", p.fset.Position(e.Pos()))
}
