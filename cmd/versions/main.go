// Command versions prints every pinned upstream version (each committed
// stack's k3s and Falco, the charts, the real-API tier's kube-apiserver and
// etcd) beside the newest one the program knows from its fact tables and
// version tables, then the disagreements between pins, fact tables and
// goldens (exit status 1 if there are any). Run it from the repository
// root: `make versions`.
package main

import (
	"flag"
	"fmt"
	"os"
	"text/tabwriter"
)

func main() {
	dir := flag.String("dir", ".", "repository root")
	flag.Parse()
	p, err := collect(*dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "versions:", err)
		os.Exit(1)
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "WHAT\tPINNED\tNEWEST KNOWN\tSTATUS\tNEWEST FROM")
	for _, r := range report(p) {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", r.What, r.Pinned, r.Newest, r.Status, r.From)
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintln(os.Stderr, "versions:", err)
		os.Exit(1)
	}
	problems := check(p, *dir)
	for _, pr := range problems {
		fmt.Fprintln(os.Stderr, "drift:", pr)
	}
	if len(problems) > 0 {
		os.Exit(1)
	}
}
