package hoststep

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"k3s-onprem/internal/plan"
)

// HostFiles maps "<node>/<path on host>" to content for every file the plan
// copies to a host. Staged files appear at their final path; the step
// scripts and file lists at their staging path.
func HostFiles(p *plan.Plan) (map[string][]byte, error) {
	files := map[string][]byte{}
	finalPath := map[string]string{} // node + staged path -> installed path
	for _, r := range p.OfType("command:remote:CopyToRemote") {
		node, err := p.NodeOf(r)
		if err != nil {
			return nil, err
		}
		remote, content, err := plan.CopiedFile(r)
		if err != nil {
			// Uploads of operator files (binaries) are not text; list only.
			continue
		}
		if _, dup := files[node+remote]; dup {
			return nil, fmt.Errorf("%s and another resource both write %s on %s; render never overwrites a file", r.Name, remote, node)
		}
		files[node+remote] = content
		if dir, ok := strings.CutSuffix(remote, "/files.list"); ok && strings.HasPrefix(remote, StateDir) {
			for _, line := range strings.Split(strings.TrimSpace(string(content)), "\n") {
				if f := strings.Fields(line); len(f) == 3 {
					finalPath[node+dir+"/"+f[1]] = node + f[2]
				}
			}
		}
	}
	for staged, final := range finalPath {
		if c, ok := files[staged]; ok {
			if _, dup := files[final]; dup {
				return nil, fmt.Errorf("two steps install %s; render never overwrites a file", final)
			}
			files[final] = c
			delete(files, staged)
		}
	}
	return files, nil
}

// Provenance is where one host file comes from.
type Provenance struct {
	Node string
	// Path is where the step installs the file.
	Path string
	Step string
	// Renderer is zero when the step names none for the file.
	Renderer Renderer
}

// HostFileProvenance lists every file the plan's steps install (as their
// files.list says), with the step and the renderer its run.sh names,
// sorted by node and path.
func HostFileProvenance(p *plan.Plan) ([]Provenance, error) {
	renderers := map[string]map[string]Renderer{} // node/step -> path -> renderer
	var out []Provenance
	for _, r := range p.OfType("command:remote:CopyToRemote") {
		remote, content, err := plan.CopiedFile(r)
		if err != nil {
			continue // uploads of operator files (binaries)
		}
		step, _, ok := ParseStagedPath(remote)
		if !ok {
			continue
		}
		node, err := p.NodeOf(r)
		if err != nil {
			return nil, err
		}
		switch path.Base(remote) {
		case "run.sh":
			renderers[node+"/"+step] = ScriptProvenance(string(content))
		case "files.list":
			for _, line := range strings.Split(strings.TrimSpace(string(content)), "\n") {
				if f := strings.Fields(line); len(f) == 3 {
					out = append(out, Provenance{Node: node, Path: f[2], Step: step})
				}
			}
		}
	}
	for i := range out {
		out[i].Renderer = renderers[out[i].Node+"/"+out[i].Step][out[i].Path]
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Node != out[j].Node {
			return out[i].Node < out[j].Node
		}
		return out[i].Path < out[j].Path
	})
	return out, nil
}
