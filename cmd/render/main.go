// Command render runs the program for one stack offline (Pulumi's mock
// monitor, no CLI, no hosts) and writes what the stack would place on each
// host under out/<stack>/<node>/..., plus resources.txt listing every
// resource with its parent and dependencies and index.tsv naming, for
// every host file, the step that places it and the Go function that
// rendered it.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"k3s-onprem/internal/hoststep"
	"k3s-onprem/stacks"
)

func main() {
	stack := flag.String("stack", "dev", "stack name (reads Pulumi.<stack>.yaml)")
	dir := flag.String("dir", ".", "project directory")
	out := flag.String("out", "out", "output directory")
	flag.Parse()
	if err := run(*dir, *stack, filepath.Join(*out, *stack)); err != nil {
		fmt.Fprintln(os.Stderr, "render:", err)
		os.Exit(1)
	}
}

func run(dir, stack, out string) error {
	p, err := stacks.PlanStack(dir, stack, nil)
	if err != nil {
		return err
	}
	if err := os.RemoveAll(out); err != nil {
		return err
	}
	files, err := hoststep.HostFiles(p)
	if err != nil {
		return err
	}
	paths := make([]string, 0, len(files))
	for path := range files {
		paths = append(paths, path)
	}
	sort.Strings(paths)
	for _, path := range paths {
		dst := filepath.Join(out, path)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		if err := writeNew(dst, files[path]); err != nil {
			return err
		}
	}
	if err := writeNew(filepath.Join(out, "resources.txt"), []byte(p.String())); err != nil {
		return err
	}
	if err := writeIndex(p, out); err != nil {
		return err
	}
	if err := writeHelmValues(p, out); err != nil {
		return err
	}
	if err := writeKubeObjects(p, out); err != nil {
		return err
	}
	if err := writeCISExpectation(dir, stack, out); err != nil {
		return err
	}
	fmt.Printf("render: %s: %d resources, %d files under %s\n", stack, len(p.Resources), len(paths), out)
	return nil
}

// writeNew creates path and fails when it exists: the output directory
// starts empty, so an existing file means two sources for one path.
func writeNew(path string, content []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("render never overwrites a file: %w", err)
	}
	if _, err := f.Write(content); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
