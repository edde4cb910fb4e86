package policies

import (
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

	"sigs.k8s.io/yaml"

	"k3s-onprem/internal/hoststep"
)

// hostFile is a file a CopyToRemote places on a node. The policies read
// host files rather than component inputs because the file is what k3s
// actually reads: a setting cannot bypass the pack by taking another way
// into the component.
type hostFile struct {
	// path is the final path on the host; staged step files are named by
	// where the step installs them, not by their staging path.
	path string
	// staged is the remote path as uploaded.
	staged string
	host   string
	// text is the content; unknown while the content is not known yet.
	text    string
	unknown bool
}

// asHostFile returns the file of a CopyToRemote with a text source.
func asHostFile(r policyx.AnalyzerResource) (hostFile, bool) {
	if r.Type != "command:remote:CopyToRemote" {
		return hostFile{}, false
	}
	remote, ok := at(r.Properties, "remotePath").Str()
	if !ok {
		return hostFile{}, false
	}
	f := hostFile{path: finalPath(remote), staged: remote, host: "(host not known yet)"}
	if h, ok := at(r.Properties, "connection", "host").Str(); ok && h != "" {
		f.host = h
	}
	src := at(r.Properties, "source")
	switch {
	case src.Unknown():
		f.unknown = true
	case src.st == known && src.v.IsAsset():
		a := src.v.AsAsset()
		if a == nil || !a.IsText() {
			return hostFile{}, false
		}
		f.text = a.Text
	default:
		return hostFile{}, false
	}
	return f, true
}

// finalPath is the path a host step installs a staged file at
// (hoststep.ParseStagedPath); other paths are returned as they are.
func finalPath(remote string) string {
	if _, path, ok := hoststep.ParseStagedPath(remote); ok && path != "" {
		return path
	}
	return remote
}

// k8sDoc parses a host file as one Kubernetes-style YAML document and
// returns it when its apiVersion starts with group and its kind matches.
func k8sDoc(r policyx.AnalyzerResource, group, kind string) (map[string]any, hostFile, bool) {
	f, ok := asHostFile(r)
	if !ok || f.unknown {
		return nil, f, false
	}
	var doc map[string]any
	if yaml.Unmarshal([]byte(f.text), &doc) != nil {
		return nil, f, false
	}
	apiVersion, _ := doc["apiVersion"].(string)
	k, _ := doc["kind"].(string)
	if k != kind || !strings.HasPrefix(apiVersion, group+"/") {
		return nil, f, false
	}
	return doc, f, true
}
