// Package hoststep turns a host step (files plus a converge script) into
// Pulumi resources: one remote.CopyToRemote per file into a staging tree and
// one remote.Command that installs and applies them. The pure part (Step,
// Bundle) is shared with the offline renderer and the lab runner, so what is
// rendered, tested and deployed is the same text. Components declare each
// step as a Def (name, roles, skip rule, build) and list them in order;
// Build evaluates the list, ApplyChain registers the result.
package hoststep

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"
)

// StateDir is where steps are staged on every host (root-only).
const StateDir = "/var/lib/k3s-onprem/steps"

//go:embed lib.sh
var libSh string

// File is one file the step places on the host.
type File struct {
	// Path is the absolute destination on the host.
	Path string
	// Mode is the octal permission, e.g. 0644.
	Mode    uint32
	Content []byte
	// Renderer is where Content comes from; Render writes it into the
	// file's "Managed by k3s-onprem" header and into run.sh.
	Renderer Renderer
}

// Renderer names the Go declaration that produced a file's content, so a
// reader of a host file (or of `make render`'s index) finds its source.
type Renderer struct {
	// Func is the package-qualified function (or, for fixed text, the
	// constant), as a reader greps for it: host.RenderZones.
	Func string
	// Source is the file declaring it, relative to the module root:
	// components/host/render.go.
	Source string
}

// ManagedMarker starts the header of every file the project renders with
// a comment syntax; Render adds the step and the renderer after it.
const ManagedMarker = "Managed by k3s-onprem"

// markerLines bounds the search for the header: it is on the first line,
// or the second after a shebang or an XML declaration.
const markerLines = 3

var (
	rendererFunc   = regexp.MustCompile(`^[a-z][a-z0-9]*\.[A-Za-z][A-Za-z0-9_]*$`)
	rendererSource = regexp.MustCompile(`^[a-z0-9_]+(/[a-z0-9_.]+)*\.go$`)
)

func (r Renderer) check() error {
	if !rendererFunc.MatchString(r.Func) || !rendererSource.MatchString(r.Source) {
		return fmt.Errorf("renderer %q in %q: want package.Name in a module-relative .go file", r.Func, r.Source)
	}
	return nil
}

// withProvenance is content with the step and the renderer named in its
// header, right after the marker (so the header's own comment syntax holds
// them); content without a header near the top is returned as it is.
func withProvenance(content []byte, step string, r Renderer) []byte {
	end := 0
	for i := 0; i < markerLines && end < len(content); i++ {
		nl := bytes.IndexByte(content[end:], '\n')
		if nl < 0 {
			end = len(content)
			break
		}
		end += nl + 1
	}
	at := bytes.Index(content[:end], []byte(ManagedMarker))
	if at < 0 {
		return content
	}
	at += len(ManagedMarker)
	out := append([]byte(nil), content[:at]...)
	out = fmt.Appendf(out, " (step %s; rendered by %s, %s)", step, r.Func, r.Source)
	return append(out, content[at:]...)
}

// Step is one converge unit on one host.
type Step struct {
	// Name is the step's short name (firewall, sysctl); resources are <node>-<name>.
	Name string
	// Script is the step body (bash); it runs after lib.sh with "$1" = apply|delete.
	Script string
	Files  []File
	// Vars are non-secret shell variables set before the script (sorted).
	Vars map[string]string
}

// Staged is a file at its staging path.
type Staged struct {
	RemotePath string
	Content    []byte
}

// Bundle is what a step uploads and runs.
type Bundle struct {
	Dir string
	// Prepare creates Dir: pulumi-command's CopyToRemote creates only the
	// last element of a remote path, so the directory must exist first.
	Prepare string
	Files   []Staged
	// Hash covers every staged byte; it is part of the command text, so a
	// content change is an update of exactly this step.
	Hash   string
	Create string
	Delete string
}

// PrepareAs is Prepare for a non-root SSH user with sudo: the parents stay
// root's but traversable (0711, not listable), the step's directory is the
// user's so CopyToRemote (SFTP, as that user) can write into it.
func (b Bundle) PrepareAs(sudo bool) string {
	if !sudo {
		return b.Prepare
	}
	return fmt.Sprintf(`sudo -n install -d -m 0711 %s %s && sudo -n install -d -m 0700 -o "$(id -un)" %s`, path.Dir(StateDir), StateDir, b.Dir)
}

// Render produces the step's staging bundle. It is pure: same step, same bundle.
func (s Step) Render() (Bundle, error) {
	if s.Name == "" || strings.ContainsAny(s.Name, "/ ") {
		return Bundle{}, fmt.Errorf("step name %q: must be a non-empty word", s.Name)
	}
	dir := path.Join(StateDir, s.Name)
	files := s.sortedFiles()
	var list strings.Builder
	b := Bundle{Dir: dir, Prepare: fmt.Sprintf("install -d -m 0711 %s %s && install -d -m 0700 %s", path.Dir(StateDir), StateDir, dir)}
	for _, f := range files {
		if !path.IsAbs(f.Path) || path.Clean(f.Path) != f.Path {
			return Bundle{}, fmt.Errorf("step %s: file path %q must be absolute and clean", s.Name, f.Path)
		}
		content := f.Content
		if f.Renderer != (Renderer{}) {
			if err := f.Renderer.check(); err != nil {
				return Bundle{}, fmt.Errorf("step %s: %s: %w", s.Name, f.Path, err)
			}
			content = withProvenance(content, s.Name, f.Renderer)
		}
		staged := StagedName(f.Path)
		fmt.Fprintf(&list, "%04o %s %s\n", f.Mode, staged, f.Path)
		b.Files = append(b.Files, Staged{RemotePath: dir + "/" + staged, Content: content})
	}
	if list.Len() > 0 {
		b.Files = append(b.Files, Staged{RemotePath: dir + "/files.list", Content: []byte(list.String())})
	}
	b.Files = append(b.Files, Staged{RemotePath: dir + "/run.sh", Content: []byte(s.script())})
	h := sha256.New()
	for _, f := range b.Files {
		fmt.Fprintf(h, "%s\x00%d\x00", f.RemotePath, len(f.Content))
		h.Write(f.Content)
	}
	b.Hash = hex.EncodeToString(h.Sum(nil))[:16]
	b.Create = fmt.Sprintf("bash %s/run.sh apply %s", dir, b.Hash)
	b.Delete = fmt.Sprintf("bash %s/run.sh delete", dir)
	return b, nil
}

func (s Step) sortedFiles() []File {
	files := append([]File(nil), s.Files...)
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	return files
}

// script is run.sh: lib.sh, the variables and the step body, after a
// comment naming each file's renderer (ScriptProvenance reads it back).
func (s Step) script() string {
	var sb strings.Builder
	sb.WriteString("#!/usr/bin/env bash\n# k3s-onprem host step " + s.Name + " (generated; do not edit on the host)\n")
	for _, f := range s.sortedFiles() {
		if f.Renderer != (Renderer{}) {
			fmt.Fprintf(&sb, "# file %s: rendered by %s (%s)\n", f.Path, f.Renderer.Func, f.Renderer.Source)
		}
	}
	sb.WriteString(libSh)
	sb.WriteString("\nSTEP_NAME=" + shellQuote(s.Name) + "\n")
	// <state>/steps/<name> -> <state>/restore/<name> (lib.sh's records).
	sb.WriteString(`RESTORE_DIR="$(dirname "$(dirname "$STEP_DIR")")/restore/$STEP_NAME"` + "\n")
	keys := make([]string, 0, len(s.Vars))
	for k := range s.Vars {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		sb.WriteString(k + "=" + shellQuote(s.Vars[k]) + "\n")
	}
	sb.WriteString("ACTION=\"${1:-apply}\"\n\n")
	sb.WriteString(s.Script)
	if !strings.HasSuffix(s.Script, "\n") {
		sb.WriteString("\n")
	}
	sb.WriteString("finish\n")
	return sb.String()
}

// StagedName is a file's name in the flat staging directory: its path with
// "/" spelled "__", readable on the host; files.list holds the exact mapping.
func StagedName(p string) string {
	return "root" + strings.ReplaceAll(p, "/", "__")
}

// ParseStagedPath is the reverse of the staging layout: for a remote path
// <StateDir>/<step>/<StagedName(path)> it returns the step and the path the
// step installs the file at; for the step's own files (run.sh,
// files.list) path is "". ok is false outside StateDir. A path that itself
// contains "__" cannot be told apart here; files.list on the host has the
// exact mapping.
func ParseStagedPath(remote string) (step, path string, ok bool) {
	rest, ok := strings.CutPrefix(remote, StateDir+"/")
	if !ok {
		return "", "", false
	}
	step, name, _ := strings.Cut(rest, "/")
	if staged, isFile := strings.CutPrefix(name, "root__"); isFile {
		path = "/" + strings.ReplaceAll(staged, "__", "/")
	}
	return step, path, true
}

var provenanceLine = regexp.MustCompile(`(?m)^# file (/\S*): rendered by (\S+) \((\S+)\)$`)

// ScriptProvenance is the reverse of run.sh's file comments: the renderer
// of each file the step places, by its path on the host.
func ScriptProvenance(runSh string) map[string]Renderer {
	out := map[string]Renderer{}
	for _, m := range provenanceLine.FindAllStringSubmatch(runSh, -1) {
		out[m[1]] = Renderer{Func: m[2], Source: m[3]}
	}
	return out
}

var scriptVarLine = regexp.MustCompile(`(?m)^([A-Z_][A-Z0-9_]*)='((?:[^']|'\\'')*)'$`)

// ScriptVars is the reverse of a run.sh's variable block: the Vars (and
// STEP_NAME) it sets, unquoted.
func ScriptVars(runSh string) map[string]string {
	out := map[string]string{}
	for _, m := range scriptVarLine.FindAllStringSubmatch(runSh, -1) {
		out[m[1]] = strings.ReplaceAll(m[2], `'\''`, "'")
	}
	return out
}

// shellQuote quotes s for bash with single quotes.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
