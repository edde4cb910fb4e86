package extract

import (
	"bytes"
	"fmt"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"
)

// Field kinds of a CRD schema path: the OpenAPI type, "int-or-string"
// for x-kubernetes-int-or-string, and "map" for an object whose keys are
// the user's (additionalProperties, or x-kubernetes-preserve-unknown-fields).
const (
	FieldObject      = "object"
	FieldMap         = "map"
	FieldArray       = "array"
	FieldString      = "string"
	FieldInteger     = "integer"
	FieldNumber      = "number"
	FieldBoolean     = "boolean"
	FieldIntOrString = "int-or-string"
)

// CRDVersion is one version of a custom resource: whether the API server
// serves and stores it, and its schema's field paths below the object
// root (dot-joined; "[]" marks a list's items: spec.addresses[]).
type CRDVersion struct {
	Name    string
	Served  bool
	Storage bool
	Fields  map[string]string
}

// CRDKind is one CustomResourceDefinition.
type CRDKind struct {
	Group, Kind, Plural, Scope string
	Versions                   []CRDVersion
}

// CRDKinds reads every CustomResourceDefinition in the files (YAML, one or
// more documents each; other kinds are skipped), sorted by group and kind.
func CRDKinds(files map[string][]byte) ([]CRDKind, error) {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []CRDKind
	for _, n := range names {
		for _, doc := range bytes.Split(files[n], []byte("\n---")) {
			var crd struct {
				Kind string `json:"kind"`
				Spec struct {
					Group string `json:"group"`
					Scope string `json:"scope"`
					Names struct {
						Kind   string `json:"kind"`
						Plural string `json:"plural"`
					} `json:"names"`
					Versions []struct {
						Name    string `json:"name"`
						Served  bool   `json:"served"`
						Storage bool   `json:"storage"`
						Schema  struct {
							OpenAPIV3Schema map[string]any `json:"openAPIV3Schema"`
						} `json:"schema"`
					} `json:"versions"`
				} `json:"spec"`
			}
			if err := yaml.Unmarshal(doc, &crd); err != nil {
				return nil, fmt.Errorf("%s: %w", n, err)
			}
			if crd.Kind != "CustomResourceDefinition" {
				continue
			}
			k := CRDKind{Group: crd.Spec.Group, Kind: crd.Spec.Names.Kind, Plural: crd.Spec.Names.Plural, Scope: crd.Spec.Scope}
			for _, v := range crd.Spec.Versions {
				if v.Schema.OpenAPIV3Schema == nil {
					return nil, fmt.Errorf("%s: %s %s has no schema", n, k.Kind, v.Name)
				}
				fields := map[string]string{}
				walkCRDSchema("", v.Schema.OpenAPIV3Schema, fields)
				k.Versions = append(k.Versions, CRDVersion{Name: v.Name, Served: v.Served, Storage: v.Storage, Fields: fields})
			}
			if k.Group == "" || k.Kind == "" || len(k.Versions) == 0 {
				return nil, fmt.Errorf("%s: a CustomResourceDefinition without group, kind or versions", n)
			}
			out = append(out, k)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].Group+"/"+out[i].Kind < out[j].Group+"/"+out[j].Kind
	})
	return out, nil
}

// walkCRDSchema records the kind of every property below prefix.
func walkCRDSchema(prefix string, s map[string]any, out map[string]string) {
	if prefix != "" {
		out[prefix] = crdFieldKind(s)
	}
	if props, ok := s["properties"].(map[string]any); ok {
		for name, p := range props {
			if ps, ok := p.(map[string]any); ok {
				walkCRDSchema(joinField(prefix, name), ps, out)
			}
		}
	}
	if items, ok := s["items"].(map[string]any); ok {
		walkCRDSchema(prefix+"[]", items, out)
	}
}

func crdFieldKind(s map[string]any) string {
	if b, _ := s["x-kubernetes-int-or-string"].(bool); b {
		return FieldIntOrString
	}
	t, _ := s["type"].(string)
	if t == "object" || t == "" {
		_, props := s["properties"]
		_, addl := s["additionalProperties"]
		preserve, _ := s["x-kubernetes-preserve-unknown-fields"].(bool)
		if !props && (addl || preserve) {
			return FieldMap
		}
		return FieldObject
	}
	return t
}

// joinField appends a property name; a dot inside a name is escaped so
// paths stay unambiguous.
func joinField(prefix, name string) string {
	name = strings.ReplaceAll(name, ".", `\.`)
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}
