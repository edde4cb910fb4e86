package upstream

import (
	"embed"
	"fmt"
	"sort"
	"strings"
	"sync"
)

// CRDFacts are the CustomResourceDefinitions one release of a project
// ships: per kind its group, scope and versions, and per version the
// schema's field paths (dot-joined below the object root, "[]" for a
// list's items) with their kinds (object, map, array, string, integer,
// number, boolean, int-or-string).
type CRDFacts struct {
	Project string    `json:"project"`
	Version string    `json:"version"`
	Source  Source    `json:"source"`
	Kinds   []CRDKind `json:"kinds"`
}

// CRDKind is one CustomResourceDefinition.
type CRDKind struct {
	Group    string       `json:"group"`
	Kind     string       `json:"kind"`
	Plural   string       `json:"plural"`
	Scope    string       `json:"scope"`
	Versions []CRDVersion `json:"versions"`
}

// CRDVersion is one version of a kind.
type CRDVersion struct {
	Name    string            `json:"name"`
	Served  bool              `json:"served"`
	Storage bool              `json:"storage"`
	Fields  map[string]string `json:"fields"`
}

//go:embed facts/crd-*.json
var crdFiles embed.FS

var (
	crdOnce sync.Once
	crdBy   map[string]*CRDFacts // project@version
	crdErr  error
)

func loadCRDs() {
	crdBy, crdErr = loadTables(crdFiles, "crd", func(f *CRDFacts) (string, string) { return f.Project, f.Version })
}

// CRDs returns the CRD facts of a project release.
func CRDs(project, version string) (*CRDFacts, error) {
	crdOnce.Do(loadCRDs)
	if crdErr != nil {
		return nil, crdErr
	}
	f, ok := crdBy[project+"@"+version]
	if !ok {
		return nil, fmt.Errorf("no CRD facts for %s %s (have %s)", project, version, strings.Join(CRDTables(), ", "))
	}
	return f, nil
}

// CRDTables lists project@version for every CRD table, sorted.
func CRDTables() []string {
	crdOnce.Do(loadCRDs)
	out := make([]string, 0, len(crdBy))
	for k := range crdBy {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// CheckCRDObject checks one custom object (apiVersion, kind, and the
// fields below metadata) against a project release's CRDs: the kind must
// exist in the group, the version must be served, and every field the
// object sets must be in that version's schema with a compatible kind.
// Values are not validated (the real API server does that).
func CheckCRDObject(project, version string, obj map[string]any) ([]string, error) {
	facts, err := CRDs(project, version)
	if err != nil {
		return nil, err
	}
	apiVersion, _ := obj["apiVersion"].(string)
	kind, _ := obj["kind"].(string)
	group, ver, ok := strings.Cut(apiVersion, "/")
	if !ok {
		return []string{fmt.Sprintf("%s: apiVersion %q is not group/version", kind, apiVersion)}, nil
	}
	where := fmt.Sprintf("%s %s (facts: %s %s at %s)", apiVersion, kind, project, version, short(facts.Source.Commit))
	var k *CRDKind
	for i := range facts.Kinds {
		if facts.Kinds[i].Group == group && facts.Kinds[i].Kind == kind {
			k = &facts.Kinds[i]
		}
	}
	if k == nil {
		return []string{where + ": no such kind in the group"}, nil
	}
	var v *CRDVersion
	for i := range k.Versions {
		if k.Versions[i].Name == ver {
			v = &k.Versions[i]
		}
	}
	if v == nil || !v.Served {
		return []string{where + ": version " + ver + " is not served"}, nil
	}
	var problems []string
	var walk func(path string, val any)
	walk = func(path string, val any) {
		fk, ok := v.Fields[path]
		if !ok {
			problems = append(problems, fmt.Sprintf("%s: field %s is not in the schema", where, path))
			return
		}
		switch x := val.(type) {
		case map[string]any:
			switch fk {
			case "map":
			case "object":
				for _, name := range sortedKeys(x) {
					walk(path+"."+strings.ReplaceAll(name, ".", `\.`), x[name])
				}
			default:
				problems = append(problems, fmt.Sprintf("%s: field %s takes a %s, not an object", where, path, fk))
			}
		case []any:
			if fk != "array" {
				problems = append(problems, fmt.Sprintf("%s: field %s takes a %s, not a list", where, path, fk))
				return
			}
			for _, item := range x {
				walk(path+"[]", item)
			}
		case nil:
		default:
			if fk == "object" || fk == "map" || fk == "array" {
				problems = append(problems, fmt.Sprintf("%s: field %s takes a%s %s, not %s", where, path, article(fk), fk, describe(val)))
			}
		}
	}
	for _, top := range sortedKeys(obj) {
		switch top {
		case "apiVersion", "kind", "metadata":
			continue // every object's; the API server checks them
		}
		walk(top, obj[top])
	}
	return problems, nil
}

func article(kind string) string {
	if strings.IndexByte("aeiou", kind[0]) >= 0 {
		return "n"
	}
	return ""
}
