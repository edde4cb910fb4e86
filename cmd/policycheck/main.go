// Command policycheck runs the k3s-cis policy pack over a stack offline:
// the program runs under Pulumi's mocks (stacks.PlanStack, no CLI, no
// hosts), every registered resource goes through the resource policies and
// the whole set through the stack policies, exactly as `pulumi preview
// --policy-pack bin/k3s-cis` would evaluate them. It prints each violation
// and exits 1 when one is mandatory, 2 when the check cannot run or the
// policy config is refused.
//
//	go run ./cmd/policycheck -stack prod [-policy-config policy/config/prod.json]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

	"k3s-onprem/policy/offline"
	"k3s-onprem/policy/policies"
	"k3s-onprem/stacks"
)

func main() {
	stack := flag.String("stack", "dev", "stack name (reads Pulumi.<stack>.yaml)")
	dir := flag.String("dir", ".", "project directory")
	cfgPath := flag.String("policy-config", "", "policy config file as passed to --policy-pack-config (default policy/config/<stack>.json when it exists)")
	flag.Parse()
	if *cfgPath == "" {
		*cfgPath = filepath.Join(*dir, "policy", "config", *stack+".json")
		if _, err := os.Stat(*cfgPath); errors.Is(err, fs.ErrNotExist) {
			*cfgPath = ""
		}
	}
	mandatory, err := run(os.Stdout, *dir, *stack, *cfgPath)
	if err != nil {
		fmt.Fprintln(os.Stderr, "policycheck:", err)
		os.Exit(2)
	}
	if mandatory > 0 {
		os.Exit(1)
	}
}

// run checks one stack and returns the number of mandatory violations.
func run(w io.Writer, dir, stack, cfgPath string) (int, error) {
	p, err := stacks.PlanStack(dir, stack, nil)
	if err != nil {
		return 0, fmt.Errorf("plan %s: %w", stack, err)
	}
	env, resources := offline.Stack(p)
	pack, err := policies.New(env)
	if err != nil {
		return 0, err
	}
	cfg := map[string]policyx.PolicyConfig{}
	if cfgPath != "" {
		data, err := os.ReadFile(cfgPath)
		if err != nil {
			return 0, err
		}
		if cfg, err = offline.ParseConfig(pack, data); err != nil {
			return 0, fmt.Errorf("%s: %w", cfgPath, err)
		}
		if err := offline.CheckConfig(env, cfg); err != nil {
			return 0, fmt.Errorf("%s: %w", cfgPath, err)
		}
	}
	vs, err := offline.Evaluate(context.Background(), pack, resources, cfg)
	if err != nil {
		return 0, err
	}
	for _, v := range vs {
		fmt.Fprintf(w, "%-9s %s: %s\n  %s\n", offline.LevelName(v.Level), v.Policy, shortURN(v.URN), v.Message)
	}
	mandatory := offline.Mandatory(vs)
	fmt.Fprintf(w, "policycheck: %s: %d resources, %d policies, %d enforcing (mandatory or remediate) and %d advisory violations\n",
		stack, len(resources), len(pack.Policies()), mandatory, len(vs)-mandatory)
	return mandatory, nil
}

// shortURN keeps the type and name of a URN ("command:remote:Command
// dev-server-1-sshd").
func shortURN(urn string) string {
	parts := strings.Split(urn, "::")
	if len(parts) < 4 {
		if urn == "" {
			return "(stack)"
		}
		return urn
	}
	t := parts[2]
	if i := strings.LastIndex(t, "$"); i >= 0 {
		t = t[i+1:]
	}
	return t + " " + parts[3]
}
