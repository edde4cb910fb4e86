package conformance

import (
	"encoding/json"
	"path"
	"sort"
	"strings"
	"sync"
	"testing"

	"k3s-onprem/components/k3s"
	"k3s-onprem/internal/hoststep"
	"k3s-onprem/internal/plan"
	"k3s-onprem/stacks"
)

// repoRoot is where Pulumi.<stack>.yaml and the goldens are.
const repoRoot = "../.."

// renderedStack is one offline run of a stack: the k3s config files per
// node (with the node's role) and the Helm releases.
type renderedStack struct {
	name     string
	version  string
	configs  []renderedK3sFile
	releases []renderedRelease
	// metallb are the MetalLB custom objects (IPAddressPool,
	// L2Advertisement): apiVersion, kind, metadata and spec.
	metallb []map[string]any
}

type renderedK3sFile struct {
	node, role, path string
	content          []byte
}

type renderedRelease struct {
	name, chart, version string
	values               map[string]any
}

var (
	stackRendersMu sync.Mutex
	stackRenders   = map[string]*renderedStack{}
)

// renderConformanceStack plans Pulumi.<stack>.yaml offline (the program
// under Pulumi's mock monitor, as cmd/render does), optionally with the
// k3s version and Falco mode replaced, and keeps what the conformance
// checks read. Results are shared between tests.
func renderConformanceStack(t *testing.T, stack, k3sVersion, falcoMode string) *renderedStack {
	t.Helper()
	key := stack + "|" + k3sVersion + "|" + falcoMode
	stackRendersMu.Lock()
	defer stackRendersMu.Unlock()
	if r, ok := stackRenders[key]; ok {
		return r
	}
	p, err := stacks.PlanStack(repoRoot, stack, func(raw map[string]string) {
		if k3sVersion != "" {
			setRawField(t, raw, "k3s", "version", k3sVersion)
		}
		if falcoMode != "" {
			setRawField(t, raw, "falco", "mode", falcoMode)
		}
	})
	if err != nil {
		t.Fatalf("plan %s (k3s %q, falco %q): %v", stack, k3sVersion, falcoMode, err)
	}
	spec, err := stacks.DecodeStackFile(repoRoot, stack)
	if err != nil {
		t.Fatal(err)
	}
	roles := map[string]string{}
	for _, n := range spec.Nodes {
		roles[n.Name] = n.Role
	}
	files, err := hoststep.HostFiles(p)
	if err != nil {
		t.Fatal(err)
	}
	r := &renderedStack{name: stack, version: k3sVersion}
	for _, f := range sortedFileKeys(files) {
		node, hostPath, _ := strings.Cut(f, "/")
		hostPath = "/" + hostPath
		if hostPath != k3s.ConfigPath && path.Dir(hostPath) != k3s.ConfigPath+".d" {
			continue
		}
		role, ok := roles[node]
		if !ok {
			t.Fatalf("%s: k3s config for unknown node %s", stack, node)
		}
		r.configs = append(r.configs, renderedK3sFile{node: node, role: role, path: hostPath, content: files[f]})
	}
	for _, rel := range p.OfType("kubernetes:helm.sh/v3:Release") {
		values, _ := plan.Plain(rel.Inputs["values"]).(map[string]any)
		r.releases = append(r.releases, renderedRelease{
			name: rel.Name, chart: plan.Str(rel.Inputs, "chart"), version: plan.Str(rel.Inputs, "version"), values: values,
		})
	}
	for _, res := range p.Resources {
		if strings.HasPrefix(res.Type, "kubernetes:metallb.io/") {
			obj := map[string]any{}
			for k, v := range res.Inputs {
				obj[string(k)] = plan.Plain(v)
			}
			r.metallb = append(r.metallb, obj)
		}
	}
	if len(r.configs) == 0 || len(r.releases) == 0 {
		t.Fatalf("%s rendered %d k3s config files and %d Helm releases: the conformance checks would see nothing", stack, len(r.configs), len(r.releases))
	}
	stackRenders[key] = r
	return r
}

// setRawField sets one field of a JSON-valued raw stack config key.
func setRawField(t *testing.T, raw map[string]string, key, field, value string) {
	t.Helper()
	obj := map[string]any{}
	if s, ok := raw[key]; ok && s != "" {
		if err := json.Unmarshal([]byte(s), &obj); err != nil {
			t.Fatalf("stack config %s: %v", key, err)
		}
	}
	obj[field] = value
	b, err := json.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	raw[key] = string(b)
}

func sortedFileKeys(m map[string][]byte) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
