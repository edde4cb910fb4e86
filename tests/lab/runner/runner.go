// Package runner executes the program's own host steps, as recorded by a
// mocked run (internal/plan), against real hosts over SSH: every
// CopyToRemote uploads its exact asset, every remote.Command runs its exact
// create text with its exact stdin, in dependency order. The command
// provider cannot be installed here; this is the faithful replacement for
// it in the lab tier, not a copy of the scripts.
package runner

import (
	"fmt"
	"os"
	"path"
	"strings"

	"k3s-onprem/internal/hoststep"
	"k3s-onprem/internal/plan"
)

// Executor reaches hosts by their SSH host address (the connection's host).
type Executor interface {
	Upload(host, remotePath string, data []byte) error
	Run(host, cmd string, stdin []byte) (stdout, stderr string, err error)
}

// Result is what one command reported.
type Result struct {
	Resource string
	Host     string
	// Changed is the step's own verdict: its last stdout line.
	Changed bool
	Stdout  string
	Stderr  string
}

// Options select what runs.
type Options struct {
	// Include decides which command resources run (their copies follow).
	// nil runs every command.
	Include func(r *plan.Resource) bool
	// Stdin, when set, gives the stdin a command gets instead of the
	// recorded one: for values a provider computes that the mocks cannot
	// (a real TLS key where the mocks put a placeholder). The caller labels
	// what it emulates.
	Stdin func(r *plan.Resource, recorded string) string
}

// Apply runs the selected part of the plan once, in dependency order, and
// returns each command's result. It stops at the first failure.
func Apply(p *plan.Plan, ex Executor, o Options) ([]Result, error) {
	order, err := selected(p, o)
	if err != nil {
		return nil, err
	}
	var results []Result
	for _, r := range order {
		host := plan.Str(plan.Connection(r), "host")
		switch r.Type {
		case "command:remote:CopyToRemote":
			remotePath, content, err := plan.CopiedFile(r)
			if rp, local, ok := plan.CopiedLocalFile(r); ok {
				remotePath = rp
				content, err = os.ReadFile(local)
			}
			if err != nil {
				return results, fmt.Errorf("%s: %w", r.Name, err)
			}
			if err := ex.Upload(host, remotePath, content); err != nil {
				return results, fmt.Errorf("%s: upload %s: %w", r.Name, path.Base(remotePath), err)
			}
		case "command:remote:Command":
			res, err := run(ex, r, "create", o)
			if isPart(r.Name) {
				if err != nil {
					return results, err
				}
				continue
			}
			results = append(results, res)
			if err != nil {
				return results, err
			}
		}
	}
	return results, nil
}

// Delete runs the delete text of the selected commands in reverse
// dependency order, as the engine does on destroy (pulumi-command v1.2.1
// gives a delete the same connection and stdin as the create; a copy's
// delete does nothing). It stops at the first failure.
func Delete(p *plan.Plan, ex Executor, o Options) ([]Result, error) {
	order, err := selected(p, o)
	if err != nil {
		return nil, err
	}
	var results []Result
	for i := len(order) - 1; i >= 0; i-- {
		r := order[i]
		if r.Type != "command:remote:Command" || plan.Str(r.Inputs, "delete") == "" {
			continue
		}
		res, err := run(ex, r, "delete", o)
		if !isPart(r.Name) {
			results = append(results, res)
		}
		if err != nil {
			return results, err
		}
	}
	return results, nil
}

// run runs one command's create or delete text with its stdin.
func run(ex Executor, r *plan.Resource, which string, o Options) (Result, error) {
	host := plan.Str(plan.Connection(r), "host")
	stdin := plan.Str(r.Inputs, "stdin")
	if o.Stdin != nil {
		stdin = o.Stdin(r, stdin)
	}
	stdout, stderr, err := ex.Run(host, plan.Str(r.Inputs, which), []byte(stdin))
	res := Result{Resource: r.Name, Host: host, Stdout: stdout, Stderr: stderr, Changed: lastLine(stdout) == "changed"}
	if err != nil {
		return res, fmt.Errorf("%s (%s) on %s: %w\nstdout:\n%s\nstderr:\n%s", r.Name, which, host, err, stdout, stderr)
	}
	return res, nil
}

// selected is the plan's resources that o selects, in dependency order: a
// selected step brings its own parts, the resources named after it
// (<step>-stage, <step>-copy-*) it depends on, directly or not.
func selected(p *plan.Plan, o Options) ([]*plan.Resource, error) {
	order, err := topo(p)
	if err != nil {
		return nil, err
	}
	in := map[string]bool{}
	var pull func(step string, r *plan.Resource)
	pull = func(step string, r *plan.Resource) {
		in[r.URN] = true
		for _, d := range r.DependsOn {
			if dep := p.Get(d); dep != nil && strings.HasPrefix(dep.Name, step+"-") && !in[d] {
				pull(step, dep)
			}
		}
	}
	for _, r := range order {
		if r.Type == "command:remote:Command" && !isPart(r.Name) && (o.Include == nil || o.Include(r)) {
			pull(r.Name, r)
		}
	}
	var out []*plan.Resource
	for _, r := range order {
		if in[r.URN] {
			out = append(out, r)
		}
	}
	return out, nil
}

// isPart reports a step's own helper resource (its staging directory).
func isPart(name string) bool { return strings.HasSuffix(name, "-stage") }

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// topo orders resources so each comes after its dependencies; ties keep
// registration order, which is how the program declared them.
func topo(p *plan.Plan) ([]*plan.Resource, error) {
	const (
		unvisited = iota
		visiting
		done
	)
	state := map[string]int{}
	var out []*plan.Resource
	var visit func(r *plan.Resource) error
	visit = func(r *plan.Resource) error {
		switch state[r.URN] {
		case visiting:
			return fmt.Errorf("dependency cycle at %s", r.Name)
		case done:
			return nil
		}
		state[r.URN] = visiting
		for _, d := range r.DependsOn {
			if dep := p.Get(d); dep != nil {
				if err := visit(dep); err != nil {
					return err
				}
			}
		}
		state[r.URN] = done
		out = append(out, r)
		return nil
	}
	for _, r := range p.Resources {
		if err := visit(r); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// RunStep runs one rendered step directly (prepare, upload, create): for a
// step the test changed on purpose, such as a misspelled key, which no
// plan holds.
func RunStep(ex Executor, host string, s hoststep.Step, stdin []byte) (Result, error) {
	b, err := s.Render()
	if err != nil {
		return Result{}, err
	}
	if _, stderr, err := ex.Run(host, b.Prepare, nil); err != nil {
		return Result{}, fmt.Errorf("%s: prepare: %w: %s", s.Name, err, stderr)
	}
	for _, f := range b.Files {
		if err := ex.Upload(host, f.RemotePath, f.Content); err != nil {
			return Result{}, fmt.Errorf("%s: upload %s: %w", s.Name, path.Base(f.RemotePath), err)
		}
	}
	stdout, stderr, err := ex.Run(host, b.Create, stdin)
	return Result{Resource: s.Name, Host: host, Stdout: stdout, Stderr: stderr, Changed: lastLine(stdout) == "changed"}, err
}
