// Package cis verifies the cluster against the k3s CIS benchmark: it
// states which checks of the benchmark kube-bench picks for the k3s
// version the program expects to pass, fail (with why) or leave to a
// human, derived from the k3s component's rendering (expect.go), runs
// kube-bench on every node after the cluster is up (a host step) and
// reads each node's report back into a summary compared with that
// expectation (report.go).
package cis

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"k3s-onprem/internal/hoststep"
)

// NodeArgs is one node to benchmark.
type NodeArgs struct {
	Target hoststep.Target
	// After: the node's k3s health (server gate, agent ready) and the
	// cluster layer, so the policies checks see the finished cluster.
	After []pulumi.Resource
	Input StepInput
}

// Args configures the verification.
type Args struct {
	Nodes []NodeArgs
	// Uploads are the air-gap archives by architecture.
	Uploads map[string]pulumi.AssetOrArchiveInput
}

// CIS is the verification component.
type CIS struct {
	pulumi.ResourceState

	// Benchmark is the kube-bench benchmark run (one per cluster version).
	Benchmark string
	// Summaries are the nodes' summaries (Summary as plain data), in
	// node order. Not secret: ids, states and counts only.
	Summaries pulumi.ArrayOutput
}

// NewCIS registers a kube-bench step per node and the summaries.
func NewCIS(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*CIS, error) {
	c := &CIS{}
	if err := ctx.RegisterComponentResourceV2("k3s-onprem:cis:KubeBench", name, pulumi.Map{}, c, opts...); err != nil {
		return nil, err
	}
	var summaries pulumi.Array
	for _, n := range args.Nodes {
		step, bench, err := BuildStep(n.Input)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", n.Target.Node, err)
		}
		c.Benchmark = bench
		rendering, err := RenderNode(n.Input.K3s)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", n.Target.Node, err)
		}
		f, _ := LoadFacts()
		b, err := f.Benchmark(bench)
		if err != nil {
			return nil, err
		}
		expected := Expect(b, rendering)
		// The raw report may quote k3s's journal (actual values), so the
		// command's output is a secret; only the summary below is plain.
		o := hoststep.Options{SecretOutput: true}
		if src, ok := args.Uploads[n.Input.Arch]; ok {
			o.Uploads = []hoststep.Upload{{Name: step.Vars["ASSET"], Source: src}}
		}
		cmd, err := hoststep.Apply(ctx, n.Target, step, o, pulumi.Parent(c), pulumi.DependsOn(n.After))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", n.Target.Node, err)
		}
		node := n.Target.Node
		summary := cmd.Stdout.ApplyT(func(out string) (any, error) {
			return SummaryOutput(node, bench, out, expected)
		})
		summaries = append(summaries, pulumi.Unsecret(summary))
	}
	c.Summaries = summaries.ToArrayOutput()
	return c, ctx.RegisterResourceOutputs(c, pulumi.Map{"benchmark": pulumi.String(c.Benchmark)})
}

// SummaryOutput is the stack output for one node from its step's stdout:
// the Summary as plain data. An empty stdout (a command that has not run:
// mocks; a real run always prints the report or fails) gives a summary
// with report "missing"; a stdout without a readable report is an error.
func SummaryOutput(node, bench, stdout string, expected []Expectation) (any, error) {
	if strings.TrimSpace(stdout) == "" {
		return map[string]any{"node": node, "benchmark": bench, "report": "missing"}, nil
	}
	r, err := ParseReport([]byte(stdout))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", node, err)
	}
	return plain(Summarize(node, bench, r, expected))
}

// plain turns a summary into the generic data a stack output carries.
func plain(s Summary) (any, error) {
	b, err := json.Marshal(s)
	if err != nil {
		return nil, err
	}
	var v map[string]any
	return v, json.Unmarshal(b, &v)
}
