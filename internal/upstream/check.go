package upstream

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"sigs.k8s.io/yaml"
)

// CheckK3sConfig checks a k3s config.yaml (or config.yaml.d drop-in) for
// `k3s <role>` of Kubernetes minor 1.<minor>: every key must be a flag (or
// alias) of that command, with a value of the flag's kind. A key ending in
// "+" (k3s's append form) must name a list flag. Values inside list flags
// such as kube-apiserver-arg are the components' own flags and are not
// checked here. It returns one message per problem, each naming the key
// and the fix.
func CheckK3sConfig(minor int, role string, config []byte) ([]string, error) {
	facts, err := K3s(minor)
	if err != nil {
		return nil, err
	}
	cmd, err := facts.Command(role)
	if err != nil {
		return nil, err
	}
	var doc map[string]any
	if err := yaml.Unmarshal(config, &doc); err != nil {
		return nil, fmt.Errorf("config.yaml does not parse: %w", err)
	}
	var problems []string
	for _, key := range sortedKeys(doc) {
		name, appendForm := strings.CutSuffix(key, "+")
		flag, kind, ok := cmd.Lookup(name)
		if !ok {
			problems = append(problems, fmt.Sprintf("key %q: k3s %s of v1.%d has no such flag%s (facts: %s at %s)",
				key, role, minor, suggest(name, cmd.Flags), facts.Source.Tag, short(facts.Source.Commit)))
			continue
		}
		if appendForm && !strings.HasSuffix(string(kind), "-slice") {
			problems = append(problems, fmt.Sprintf("key %q: the append form needs a list flag, but %s is a %s", key, flag, kind))
			continue
		}
		if msg := kindMismatch(kind, doc[key]); msg != "" {
			problems = append(problems, fmt.Sprintf("key %q: flag %s is a %s, %s", key, flag, kind, msg))
		}
	}
	return problems, nil
}

// kindMismatch says what is wrong with a config.yaml value for a flag kind.
// Scalars must have the YAML type of the flag: an unquoted 0600 for a
// string flag is the integer 384, not the text "0600".
func kindMismatch(kind FlagKind, v any) string {
	switch kind {
	case FlagBool:
		if _, ok := v.(bool); !ok {
			return fmt.Sprintf("but the value is %s: write true or false", describe(v))
		}
	case FlagInt, "int64", "uint", "uint64":
		f, ok := v.(float64)
		if !ok || f != math.Trunc(f) {
			return fmt.Sprintf("but the value is %s: write a whole number", describe(v))
		}
	case "float64":
		if _, ok := v.(float64); !ok {
			return fmt.Sprintf("but the value is %s: write a number", describe(v))
		}
	case FlagDuration:
		s, ok := v.(string)
		if _, err := time.ParseDuration(s); !ok || err != nil {
			return fmt.Sprintf("but the value is %s: write a duration such as 30s", describe(v))
		}
	case FlagStringSlice, "int-slice", "int64-slice":
		switch v := v.(type) {
		case string:
		case []any:
			for _, e := range v {
				if _, isMap := e.(map[string]any); isMap {
					return "but an element is a map: write a list of strings"
				}
				if _, isList := e.([]any); isList {
					return "but an element is a list: write a list of strings"
				}
			}
		default:
			return fmt.Sprintf("but the value is %s: write a list", describe(v))
		}
	default: // string, generic, timestamp: text on the command line
		if _, ok := v.(string); !ok {
			return fmt.Sprintf("but the value is %s: quote it as a string", describe(v))
		}
	}
	return ""
}

func describe(v any) string {
	switch v := v.(type) {
	case nil:
		return "empty"
	case string:
		return fmt.Sprintf("the string %q", v)
	case bool:
		return fmt.Sprintf("the boolean %v", v)
	case float64:
		return fmt.Sprintf("the number %v", v)
	case []any:
		return "a list"
	case map[string]any:
		return "a map"
	}
	return fmt.Sprintf("%T", v)
}

// CheckHelmValues checks the values given to a chart version: every path
// must be one the chart has, and a map must not stand where the chart
// takes a scalar or list (or the other way round). Keys below a free-form
// object (annotations, values the chart renders as YAML) are the user's.
func CheckHelmValues(chart, version string, values map[string]any) ([]string, error) {
	facts, err := Helm(chart, version)
	if err != nil {
		return nil, err
	}
	var problems []string
	var walk func(prefix string, m map[string]any)
	walk = func(prefix string, m map[string]any) {
		for _, k := range sortedKeys(m) {
			path := k
			if prefix != "" {
				path = prefix + "." + k
			}
			if path == "global" {
				continue // Helm's own, shared with subcharts
			}
			v := m[k]
			kind, ok := facts.Values[path]
			if !ok {
				problems = append(problems, fmt.Sprintf("value %s: chart %s %s has no such key%s (facts: %s at %s)",
					path, chart, version, suggestPath(path, facts.Values), facts.Source.Tag, short(facts.Source.Commit)))
				continue
			}
			sub, isMap := v.(map[string]any)
			_, isList := v.([]any)
			switch kind {
			case ValueObject, ValueAny:
			case ValueMap:
				if isMap {
					walk(path, sub)
				} else if v != nil {
					problems = append(problems, fmt.Sprintf("value %s: the chart takes a map here, not %s", path, describe(v)))
				}
			case ValueList:
				if !isList && v != nil {
					problems = append(problems, fmt.Sprintf("value %s: the chart takes a list here, not %s", path, describe(v)))
				}
			default:
				if isMap || isList {
					problems = append(problems, fmt.Sprintf("value %s: the chart takes a %s here, not %s", path, kind, describe(v)))
				}
			}
		}
	}
	walk("", values)
	return problems, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func short(commit string) string {
	if len(commit) > 12 {
		return commit[:12]
	}
	return commit
}

// suggest names the closest flag, when one is a likely misspelling.
func suggest(name string, flags map[string]FlagKind) string {
	best, dist := "", 4
	for _, f := range sortedKeys(flags) {
		if d := levenshtein(name, f); d < dist {
			best, dist = f, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf("; did you mean %s?", best)
}

// suggestPath names the closest sibling path of a chart.
func suggestPath(path string, values map[string]ValueKind) string {
	parent := ""
	if i := strings.LastIndex(path, "."); i >= 0 {
		parent = path[:i+1]
	}
	best, dist := "", 4
	for _, p := range sortedKeys(values) {
		if !strings.HasPrefix(p, parent) || strings.Contains(p[len(parent):], ".") {
			continue
		}
		if d := levenshtein(path, p); d < dist {
			best, dist = p, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf("; did you mean %s?", best)
}

func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
