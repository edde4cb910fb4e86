package main

import (
	"bytes"
	"fmt"
	"path/filepath"

	"k3s-onprem/internal/hoststep"
	"k3s-onprem/internal/plan"
)

// indexHeader names index.tsv's columns.
const indexHeader = "node\tpath\tstep\tfunction\tsource\n"

// writeIndex writes index.tsv: one line per file a step installs on a
// host, with the step and the Go function (and its source file) that
// rendered it, so a reviewer greps from a host file to its code.
func writeIndex(p *plan.Plan, out string) error {
	entries, err := hoststep.HostFileProvenance(p)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	b.WriteString(indexHeader)
	for _, e := range entries {
		fn, src := e.Renderer.Func, e.Renderer.Source
		if fn == "" {
			fn, src = "-", "-"
		}
		fmt.Fprintf(&b, "%s\t%s\t%s\t%s\t%s\n", e.Node, e.Path, e.Step, fn, src)
	}
	return writeNew(filepath.Join(out, "index.tsv"), b.Bytes())
}
