package main

import (
	"path/filepath"

	"k3s-onprem/components/cis"
	"k3s-onprem/stacks"
)

// writeCISExpectation writes cis-expectation.tsv: for every node, each
// check of the benchmark kube-bench picks for the stack's k3s version and
// what the program expects of it (components/cis). Written whether or not
// cis.kubeBench runs: it is what a run is compared with.
func writeCISExpectation(dir, stack, out string) error {
	spec, err := stacks.DecodeStackFile(dir, stack)
	if err != nil {
		return err
	}
	bench, nodes, err := stacks.CISExpectation(spec)
	if err != nil {
		return err
	}
	return writeNew(filepath.Join(out, "cis-expectation.tsv"), cis.RenderTSV(bench, nodes))
}
