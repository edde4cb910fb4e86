package cis

import (
	"encoding/json"
	"fmt"
	"strings"
)

// StackOutput is the `cis` stack output as `pulumi stack output --json cis`
// prints it.
type StackOutput struct {
	KubeBench string    `json:"kubeBench"`
	Benchmark string    `json:"benchmark"`
	Nodes     []Summary `json:"nodes"`
}

// ParseStackOutput reads the `cis` stack output.
func ParseStackOutput(b []byte) (*StackOutput, error) {
	var o StackOutput
	if err := json.Unmarshal(b, &o); err != nil {
		return nil, fmt.Errorf("cis stack output: %w", err)
	}
	if len(o.Nodes) == 0 {
		return nil, fmt.Errorf("cis stack output: no nodes (is cis.kubeBench.enabled set and has `up` run?)")
	}
	return &o, nil
}

// RenderReportTSV renders out/<stack>/cis-report.tsv: one line per node
// with its counts, failing ids and unexpected results. A node whose
// report has not been read shows "missing".
func RenderReportTSV(o *StackOutput) []byte {
	var b strings.Builder
	b.WriteString("node\tbenchmark\tpass\tfail\twarn\tinfo\tfailing\tunexpected\tnowPassing\n")
	for _, n := range o.Nodes {
		if n.Benchmark == "" {
			n.Benchmark = o.Benchmark
		}
		if n.Failing == nil && n.Pass+n.Fail+n.Warn+n.Info == 0 {
			fmt.Fprintf(&b, "%s\t%s\tmissing\t\t\t\t\t\t\n", n.Node, n.Benchmark)
			continue
		}
		fmt.Fprintf(&b, "%s\t%s\t%d\t%d\t%d\t%d\t%s\t%s\t%s\n", n.Node, n.Benchmark, n.Pass, n.Fail, n.Warn, n.Info,
			strings.Join(n.Failing, ","), strings.Join(n.Unexpected, ","), strings.Join(n.NowPassing, ","))
	}
	return []byte(b.String())
}

// Unexpected lists every node's unexpected results as "node: id: state".
func (o *StackOutput) Unexpected() []string {
	var out []string
	for _, n := range o.Nodes {
		for _, u := range n.Unexpected {
			out = append(out, n.Node+": "+u)
		}
	}
	return out
}
