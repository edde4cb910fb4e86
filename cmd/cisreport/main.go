// Command cisreport writes out/<stack>/cis-report.tsv (and .json) from the
// stack's `cis` output, read from stdin (`make cis-report` pipes
// `pulumi stack output --json cis` into it). It exits 1 when a node has a
// check the program expects to pass that did not.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"k3s-onprem/components/cis"
)

func main() {
	stack := flag.String("stack", "dev", "stack name")
	out := flag.String("out", "out", "output directory")
	flag.Parse()
	code, err := run(os.Stdin, filepath.Join(*out, *stack), os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "cisreport:", err)
		os.Exit(2)
	}
	os.Exit(code)
}

func run(in io.Reader, dir string, w io.Writer) (int, error) {
	b, err := io.ReadAll(in)
	if err != nil {
		return 0, err
	}
	o, err := cis.ParseStackOutput(b)
	if err != nil {
		return 0, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, err
	}
	if err := os.WriteFile(filepath.Join(dir, "cis-report.json"), b, 0o644); err != nil {
		return 0, err
	}
	tsv := cis.RenderReportTSV(o)
	if err := os.WriteFile(filepath.Join(dir, "cis-report.tsv"), tsv, 0o644); err != nil {
		return 0, err
	}
	fmt.Fprintf(w, "kube-bench %s, %s: %s", o.KubeBench, o.Benchmark, tsv)
	if u := o.Unexpected(); len(u) > 0 {
		fmt.Fprintf(w, "%d checks expected to pass did not:\n", len(u))
		for _, l := range u {
			fmt.Fprintln(w, "  "+l)
		}
		return 1, nil
	}
	return 0, nil
}
