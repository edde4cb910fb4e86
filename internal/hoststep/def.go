package hoststep

import (
	"fmt"
	"slices"
	"strings"
)

// Node roles a step can be limited to.
const (
	RoleServer = "server"
	RoleAgent  = "agent"
)

// Def declares one host step: its name, the roles it runs on, when it is
// skipped and how it is built from the component's input. Each component
// keeps one Def per file (step_<name>.go) and its step order in one list,
// which Build evaluates; so the renderer, the mocks tests, the lab runner
// and the policies all see the same steps.
type Def[In any] struct {
	// Name is the step's name (resources are <node>-<name>).
	Name string
	// Roles are the node roles the step runs on; empty means every node.
	Roles []string
	// Skip says why the step does not run for in; "" means it runs. Nil
	// never skips.
	Skip func(in In) string
	// Build renders the step's files, script and variables. It is pure.
	Build func(in In) (Step, error)
}

// reason is why d does not run on a node of role with in ("" = it runs).
func (d Def[In]) reason(role string, in In) string {
	if len(d.Roles) > 0 && !slices.Contains(d.Roles, role) {
		return "runs on " + strings.Join(d.Roles, " and ") + " nodes only"
	}
	if d.Skip != nil {
		return d.Skip(in)
	}
	return ""
}

// Build returns the steps of defs that run on a node of role with in, in
// the order of defs.
func Build[In any](defs []Def[In], role string, in In) ([]Step, error) {
	var steps []Step
	for _, d := range defs {
		if d.reason(role, in) != "" {
			continue
		}
		s, err := d.Build(in)
		if err != nil {
			return nil, fmt.Errorf("step %s: %w", d.Name, err)
		}
		if s.Name != d.Name {
			return nil, fmt.Errorf("step %s: built as %q", d.Name, s.Name)
		}
		steps = append(steps, s)
	}
	return steps, nil
}

// SkipReasons maps each step of defs that does not run on a node of role
// with in to why not.
func SkipReasons[In any](defs []Def[In], role string, in In) map[string]string {
	out := map[string]string{}
	for _, d := range defs {
		if r := d.reason(role, in); r != "" {
			out[d.Name] = r
		}
	}
	return out
}
