// Command refresh rewrites one fact table in internal/upstream/facts from an
// upstream checkout (a git directory read with git show, or a plain
// directory such as a Go module cache copy). It records names and kinds
// only. See internal/upstream/README.md for the commands that made each
// table.
//
//	refresh k3s  -git DIR -commit C -tag T -minor N [-read-from OWNER/NAME] [-note TEXT] -out FILE
//	refresh helm (-git DIR -commit C | -dir DIR) -repo OWNER/NAME -path CHARTDIR -chart NAME -version V -tag T [-note TEXT] -out FILE
//	refresh crd  (-git DIR -commit C | -dir DIR) -repo OWNER/NAME -path CRDDIR -project NAME -version V -tag T [-note TEXT] -out FILE
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"k3s-onprem/internal/upstream"
	"k3s-onprem/internal/upstream/extract"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: refresh k3s|helm|crd [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "k3s":
		err = refreshK3s(os.Args[2:])
	case "helm":
		err = refreshHelm(os.Args[2:])
	case "crd":
		err = refreshCRD(os.Args[2:])
	default:
		err = fmt.Errorf("unknown table kind %q: want k3s, helm or crd", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "refresh:", err)
		os.Exit(1)
	}
}

// tree reads files at a commit of a git directory, or from a plain directory.
type tree struct{ gitDir, commit, dir string }

func (t tree) list(dir string) ([]string, error) {
	if t.dir != "" {
		var out []string
		root := filepath.Join(t.dir, dir)
		err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				rel, _ := filepath.Rel(t.dir, p)
				out = append(out, filepath.ToSlash(rel))
			}
			return err
		})
		return out, err
	}
	b, err := exec.Command("git", "--git-dir", t.gitDir, "ls-tree", "-r", "--name-only", t.commit, dir+"/").Output()
	if err != nil {
		return nil, fmt.Errorf("git ls-tree %s %s: %w", t.commit, dir, err)
	}
	return strings.Fields(string(b)), nil
}

func (t tree) read(p string) ([]byte, error) {
	if t.dir != "" {
		return os.ReadFile(filepath.Join(t.dir, p))
	}
	b, err := exec.Command("git", "--git-dir", t.gitDir, "show", t.commit+":"+p).Output()
	if err != nil {
		return nil, fmt.Errorf("git show %s:%s: %w", t.commit, p, err)
	}
	return b, nil
}

func today() string { return time.Now().UTC().Format("2006-01-02") }

func writeJSON(out string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(out, append(b, '\n'), 0o644)
}

// command echoes the invocation with the local snapshot path replaced, so
// the table says how to make it again on another machine.
func command(kind string, args []string) string {
	out := []string{"go run ./internal/upstream/refresh", kind}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if (a == "-git" || a == "-dir") && i+1 < len(args) {
			out = append(out, a, "<checkout>")
			i++
			continue
		}
		if strings.ContainsAny(a, " '") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		out = append(out, a)
	}
	return strings.Join(out, " ")
}

func refreshK3s(args []string) error {
	fs := flag.NewFlagSet("k3s", flag.ExitOnError)
	gitDir := fs.String("git", "", "git directory of k3s (or a fork carrying the commit)")
	commit := fs.String("commit", "", "commit to read")
	tag := fs.String("tag", "", "k3s release the table stands for")
	minor := fs.Int("minor", 0, "Kubernetes minor")
	readFrom := fs.String("read-from", "", "snapshot owner/name when not k3s-io/k3s")
	note := fs.String("note", "", "how close the commit is to the tag")
	out := fs.String("out", "", "fact file to write")
	_ = fs.Parse(args)
	if *gitDir == "" || *commit == "" || *tag == "" || *minor == 0 || *out == "" {
		return fmt.Errorf("k3s: -git, -commit, -tag, -minor and -out are required")
	}
	t := tree{gitDir: *gitDir, commit: *commit}
	const dir = "pkg/cli/cmds"
	names, err := t.list(dir)
	if err != nil {
		return err
	}
	files := map[string][]byte{}
	var paths []string
	for _, n := range names {
		if path.Dir(n) != dir || !strings.HasSuffix(n, ".go") {
			continue
		}
		b, err := t.read(n)
		if err != nil {
			return err
		}
		files[n] = b
		paths = append(paths, n)
	}
	server, agent, err := extract.K3sFlags(files)
	if err != nil {
		return err
	}
	sort.Strings(paths)
	facts := upstream.K3sFacts{
		Minor: *minor,
		Source: upstream.Source{
			Repo: "k3s-io/k3s", Paths: paths, Tag: *tag, Commit: *commit,
			ReadFrom: *readFrom, Note: *note, Read: today(), Refresh: command("k3s", args),
		},
		Server: toCommand(server),
		Agent:  toCommand(agent),
	}
	return writeJSON(*out, facts)
}

func toCommand(c extract.K3sCommand) upstream.K3sCommand {
	out := upstream.K3sCommand{Flags: map[string]upstream.FlagKind{}, Aliases: c.Aliases}
	for n, k := range c.Flags {
		out.Flags[n] = upstream.FlagKind(k)
	}
	if len(out.Aliases) == 0 {
		out.Aliases = nil
	}
	return out
}

func refreshHelm(args []string) error {
	fs := flag.NewFlagSet("helm", flag.ExitOnError)
	gitDir := fs.String("git", "", "git directory of the chart repository")
	commit := fs.String("commit", "", "commit (or tag) to read with -git")
	dir := fs.String("dir", "", "plain directory holding the repository instead of -git")
	repo := fs.String("repo", "", "upstream owner/name")
	chartDir := fs.String("path", "", "chart directory in the repository")
	chart := fs.String("chart", "", "chart name")
	version := fs.String("version", "", "chart version")
	tag := fs.String("tag", "", "upstream tag of the chart release")
	readFrom := fs.String("read-from", "", "where the files came from when not a checkout of -repo")
	note := fs.String("note", "", "anything a reader must know")
	freeForm := fs.String("free-form", "", "comma-separated value paths the templates render as YAML through a define the extractor cannot follow (say why in -note)")
	out := fs.String("out", "", "fact file to write")
	_ = fs.Parse(args)
	if (*gitDir == "") == (*dir == "") || *repo == "" || *chartDir == "" || *chart == "" || *version == "" || *tag == "" || *out == "" {
		return fmt.Errorf("helm: one of -git/-dir, and -repo, -path, -chart, -version, -tag, -out are required")
	}
	t := tree{gitDir: *gitDir, commit: *commit, dir: *dir}
	commitID := *commit
	if *gitDir != "" {
		b, err := exec.Command("git", "--git-dir", *gitDir, "rev-parse", *commit+"^{commit}").Output()
		if err != nil {
			return fmt.Errorf("git rev-parse %s: %w", *commit, err)
		}
		commitID = strings.TrimSpace(string(b))
	}
	names, err := t.list(*chartDir)
	if err != nil {
		return err
	}
	files := map[string][]byte{}
	var paths []string
	for _, n := range names {
		rel := strings.TrimPrefix(n, *chartDir+"/")
		// The chart's own files only: vendored subcharts under charts/
		// have their own values, nested under the subchart's name.
		if rel != "values.yaml" && rel != "values.schema.json" && !strings.HasPrefix(rel, "templates/") {
			continue
		}
		b, err := t.read(n)
		if err != nil {
			return err
		}
		files[rel] = b
		if !strings.HasPrefix(rel, "templates/") {
			paths = append(paths, n)
		}
	}
	paths = append(paths, *chartDir+"/templates/")
	values, err := extract.HelmValues(files)
	if err != nil {
		return err
	}
	for _, p := range strings.Split(*freeForm, ",") {
		if p == "" {
			continue
		}
		if _, ok := values[p]; !ok {
			return fmt.Errorf("-free-form %s: the chart has no such value", p)
		}
		extract.MarkObject(p, values)
	}
	facts := upstream.HelmFacts{
		Chart: *chart, Version: *version,
		Source: upstream.Source{
			Repo: *repo, Paths: paths, Tag: *tag, Commit: commitID,
			ReadFrom: *readFrom, Note: *note, Read: today(), Refresh: command("helm", args),
		},
		Values: map[string]upstream.ValueKind{},
	}
	for p, k := range values {
		facts.Values[p] = upstream.ValueKind(k)
	}
	return writeJSON(*out, facts)
}

func refreshCRD(args []string) error {
	fs := flag.NewFlagSet("crd", flag.ExitOnError)
	gitDir := fs.String("git", "", "git directory of the repository")
	commit := fs.String("commit", "", "commit (or tag) to read with -git")
	dir := fs.String("dir", "", "plain directory holding the repository instead of -git")
	repo := fs.String("repo", "", "upstream owner/name")
	crdDir := fs.String("path", "", "directory of CRD manifests in the repository")
	project := fs.String("project", "", "project name (the table is crd-<project>-<version>.json)")
	version := fs.String("version", "", "release version")
	tag := fs.String("tag", "", "upstream tag of the release")
	readFrom := fs.String("read-from", "", "where the files came from when not a checkout of -repo")
	note := fs.String("note", "", "anything a reader must know")
	out := fs.String("out", "", "fact file to write")
	_ = fs.Parse(args)
	if (*gitDir == "") == (*dir == "") || *repo == "" || *crdDir == "" || *project == "" || *version == "" || *tag == "" || *out == "" {
		return fmt.Errorf("crd: one of -git/-dir, and -repo, -path, -project, -version, -tag, -out are required")
	}
	t := tree{gitDir: *gitDir, commit: *commit, dir: *dir}
	commitID := *commit
	if *gitDir != "" {
		b, err := exec.Command("git", "--git-dir", *gitDir, "rev-parse", *commit+"^{commit}").Output()
		if err != nil {
			return fmt.Errorf("git rev-parse %s: %w", *commit, err)
		}
		commitID = strings.TrimSpace(string(b))
	}
	names, err := t.list(*crdDir)
	if err != nil {
		return err
	}
	files := map[string][]byte{}
	var paths []string
	for _, n := range names {
		if path.Dir(n) != *crdDir || !(strings.HasSuffix(n, ".yaml") || strings.HasSuffix(n, ".yml")) {
			continue
		}
		b, err := t.read(n)
		if err != nil {
			return err
		}
		files[n] = b
		paths = append(paths, n)
	}
	kinds, err := extract.CRDKinds(files)
	if err != nil {
		return err
	}
	if len(kinds) == 0 {
		return fmt.Errorf("crd: no CustomResourceDefinition under %s", *crdDir)
	}
	sort.Strings(paths)
	facts := upstream.CRDFacts{
		Project: *project, Version: *version,
		Source: upstream.Source{
			Repo: *repo, Paths: paths, Tag: *tag, Commit: commitID,
			ReadFrom: *readFrom, Note: *note, Read: today(), Refresh: command("crd", args),
		},
	}
	for _, k := range kinds {
		uk := upstream.CRDKind{Group: k.Group, Kind: k.Kind, Plural: k.Plural, Scope: k.Scope}
		for _, v := range k.Versions {
			uk.Versions = append(uk.Versions, upstream.CRDVersion{Name: v.Name, Served: v.Served, Storage: v.Storage, Fields: v.Fields})
		}
		facts.Kinds = append(facts.Kinds, uk)
	}
	return writeJSON(*out, facts)
}
