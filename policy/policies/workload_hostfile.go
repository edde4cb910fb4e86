package policies

import (
	"bytes"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
	"sigs.k8s.io/yaml"
)

// manifestDirs are the host directories whose YAML files k3s turns into
// running pods: the kubelet's static pods (no scheduler, no admission:
// Pod Security never sees them, so the pack is their only gate) and the
// deploy controller's auto-applied manifests.
var manifestDirs = []string{
	"/var/lib/rancher/k3s/agent/pod-manifests/",
	"/var/lib/rancher/k3s/server/manifests/",
}

// hostFileWorkloads returns the pod-carrying objects of a host file in a
// manifest directory, each judged like the same object sent through the
// provider.
func hostFileWorkloads(r policyx.AnalyzerResource) []workload {
	f, ok := asHostFile(r)
	if !ok || f.unknown || !inManifestDir(f.path) {
		return nil
	}
	var out []workload
	for _, raw := range bytes.Split([]byte(f.text), []byte("\n---")) {
		var doc map[string]any
		if yaml.Unmarshal(raw, &doc) != nil || doc == nil {
			continue
		}
		kind, _ := doc["kind"].(string)
		path, ok := podSpecPathOfKind(kind)
		if !ok {
			continue
		}
		props := toProperty(doc).AsMap()
		spec, ok := at(props, path...).Map()
		if !ok {
			continue
		}
		name, _ := at(props, "metadata", "name").Str()
		ns := at(props, "metadata", "namespace")
		if ns.Missing() {
			ns = wrap(property.New("default"))
		}
		out = append(out, workload{ref: kind + " " + name + " (" + f.path + " on " + f.host + ")", namespace: ns, spec: spec})
	}
	return out
}

func inManifestDir(path string) bool {
	for _, d := range manifestDirs {
		if strings.HasPrefix(path, d) {
			return true
		}
	}
	return false
}

// podSpecPathOfKind is the pod spec path of a workload kind.
func podSpecPathOfKind(kind string) ([]string, bool) {
	for token, p := range podSpecPaths {
		if kind != "" && strings.HasSuffix(token, ":"+kind) {
			return p, true
		}
	}
	return nil, false
}

// toProperty converts a decoded YAML document to a property value.
func toProperty(v any) property.Value {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]property.Value, len(x))
		for k, e := range x {
			m[k] = toProperty(e)
		}
		return property.New(property.NewMap(m))
	case []any:
		a := make([]property.Value, 0, len(x))
		for _, e := range x {
			a = append(a, toProperty(e))
		}
		return property.New(property.NewArray(a))
	case string:
		return property.New(x)
	case bool:
		return property.New(x)
	case float64:
		return property.New(x)
	}
	return property.New(property.Null)
}
