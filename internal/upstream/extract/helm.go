package extract

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"
)

// Value kinds of a Helm chart's value paths.
const (
	// ValueMap is a map whose keys the chart defines: only the paths below
	// it in the table are valid.
	ValueMap = "map"
	// ValueObject is a free-form map (empty in values.yaml, keyed by
	// Kubernetes names such as annotations, or passed to the manifest as
	// YAML by a template): any key below it is the user's.
	ValueObject = "object"
	ValueList   = "list"
	ValueString = "string"
	ValueBool   = "bool"
	ValueNumber = "number"
	// ValueAny is null in values.yaml, or a path only a template reads.
	ValueAny = "any"
)

// HelmValues returns the value paths (dot-joined) of a chart and their
// kinds, from values.yaml, values.schema.json (when present) and the
// .Values paths its templates read. files maps paths relative to the chart
// directory to content.
func HelmValues(files map[string][]byte) (map[string]string, error) {
	out := map[string]string{}
	v, ok := files["values.yaml"]
	if !ok {
		return nil, fmt.Errorf("chart has no values.yaml")
	}
	var values map[string]any
	if err := yaml.Unmarshal(v, &values); err != nil {
		return nil, fmt.Errorf("values.yaml: %w", err)
	}
	walkValues("", values, out)
	if s, ok := files["values.schema.json"]; ok {
		var schema map[string]any
		if err := json.Unmarshal(s, &schema); err != nil {
			return nil, fmt.Errorf("values.schema.json: %w", err)
		}
		walkSchema("", schema, out)
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if strings.HasPrefix(n, "templates/") {
			templateRefs(string(files[n]), out)
		}
	}
	return out, nil
}

func join(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}

// walkValues records every path of values.yaml. A map keyed by Kubernetes
// names (a key with "/" or ".", such as kubernetes.io/os or
// prometheus.io/scrape) is a free-form object: its keys are examples.
func walkValues(prefix string, v any, out map[string]string) {
	switch v := v.(type) {
	case map[string]any:
		if prefix != "" {
			if len(v) == 0 || kubernetesKeyed(v) {
				out[prefix] = ValueObject
				return
			}
			out[prefix] = ValueMap
		}
		for k, e := range v {
			walkValues(join(prefix, k), e, out)
		}
	case []any:
		out[prefix] = ValueList
	case string:
		out[prefix] = ValueString
	case bool:
		out[prefix] = ValueBool
	case float64, int64, int:
		out[prefix] = ValueNumber
	default:
		out[prefix] = ValueAny
	}
}

func kubernetesKeyed(m map[string]any) bool {
	for k := range m {
		if strings.ContainsAny(k, "/.") {
			return true
		}
	}
	return false
}

// walkSchema adds the properties values.schema.json declares.
func walkSchema(prefix string, s map[string]any, out map[string]string) {
	props, _ := s["properties"].(map[string]any)
	for k, p := range props {
		ps, _ := p.(map[string]any)
		path := join(prefix, k)
		kind := schemaKind(ps)
		if _, known := out[path]; !known || kind == ValueObject {
			out[path] = kind
		}
		if kind == ValueMap {
			walkSchema(path, ps, out)
		}
	}
}

func schemaKind(s map[string]any) string {
	t, _ := s["type"].(string)
	switch t {
	case "object":
		if props, _ := s["properties"].(map[string]any); len(props) > 0 {
			if ap, ok := s["additionalProperties"].(bool); ok && !ap {
				return ValueMap
			}
			if _, ok := s["additionalProperties"]; !ok {
				return ValueMap
			}
		}
		return ValueObject
	case "array":
		return ValueList
	case "string":
		return ValueString
	case "boolean":
		return ValueBool
	case "integer", "number":
		return ValueNumber
	}
	return ValueAny
}

var (
	valuesRef   = regexp.MustCompile(`\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)`)
	toYAMLRef   = regexp.MustCompile(`toYaml\s+\(?\s*\$?\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)`)
	withValues  = regexp.MustCompile(`\{\{-?\s*with\s+\$?\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)\s*-?\}\}`)
	toYAMLDot   = regexp.MustCompile(`toYaml\s+\.\s*[|)}]|toYaml\s+\.\s*-?\}\}`)
	blockEnd    = regexp.MustCompile(`\{\{-?\s*end\b`)
	blockNested = regexp.MustCompile(`\{\{-?\s*(if|with|range|define|block)\b`)
)

// templateRefs adds the .Values paths a template reads (and each parent as
// a map), and marks as free-form objects the paths a template renders as
// YAML (toYaml .Values.x, or with .Values.x ... toYaml .).
func templateRefs(t string, out map[string]string) {
	for _, m := range valuesRef.FindAllStringSubmatch(t, -1) {
		parts := strings.Split(strings.TrimPrefix(m[1], "."), ".")
		for i := range parts {
			path := strings.Join(parts[:i+1], ".")
			if _, known := out[path]; known {
				continue
			}
			if i < len(parts)-1 {
				out[path] = ValueMap
			} else {
				out[path] = ValueAny
			}
		}
	}
	for _, m := range toYAMLRef.FindAllStringSubmatch(t, -1) {
		MarkObject(strings.TrimPrefix(m[1], "."), out)
	}
	for _, loc := range withValues.FindAllStringSubmatchIndex(t, -1) {
		path := strings.TrimPrefix(t[loc[2]:loc[3]], ".")
		if withBlockToYAMLDot(t[loc[1]:]) {
			MarkObject(path, out)
		}
	}
}

// withBlockToYAMLDot reports whether the body of a with block (up to its
// end) renders the dot as YAML at its own nesting level.
func withBlockToYAMLDot(rest string) bool {
	depth := 0
	for i := 0; i < len(rest); {
		next := rest[i:]
		e := blockEnd.FindStringIndex(next)
		n := blockNested.FindStringIndex(next)
		y := toYAMLDot.FindStringIndex(next)
		if e == nil {
			return false
		}
		first := e[0]
		if n != nil && n[0] < first {
			first = n[0]
		}
		if y != nil && y[0] < first && depth == 0 {
			return true
		}
		if n != nil && n[0] == first {
			depth++
			i += n[1]
			continue
		}
		if depth == 0 {
			return false
		}
		depth--
		i += e[1]
	}
	return false
}

// MarkObject makes path a free-form object and drops the example keys
// below it.
func MarkObject(path string, out map[string]string) {
	out[path] = ValueObject
	for k := range out {
		if strings.HasPrefix(k, path+".") {
			delete(out, k)
		}
	}
}
