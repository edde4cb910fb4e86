package stacks

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"unicode"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// checkShape compares a decoded JSON value with the Go type it must fill
// and reports every unknown key (with a "did you mean" for near misses)
// and every value of the wrong kind, each at its full path. It returns the
// value with those parts removed, so the rest still decodes and validates.
func checkShape(t reflect.Type, v any, p *field.Path, errs *field.ErrorList) any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if v == nil {
		return nil
	}
	switch t.Kind() {
	case reflect.Struct:
		obj, ok := v.(map[string]any)
		if !ok {
			*errs = append(*errs, field.TypeInvalid(p, kindOf(v), "want an object (key: value lines below "+leaf(p)+")"))
			return nil
		}
		fields := map[string]reflect.StructField{}
		var names []string
		for i := 0; i < t.NumField(); i++ {
			if n := jsonFieldName(t.Field(i)); n != "" {
				fields[n] = t.Field(i)
				names = append(names, n)
			}
		}
		out := map[string]any{}
		for _, k := range sortedKeys(obj) {
			f, known := fields[k]
			if !known {
				*errs = append(*errs, unknownKey(p.Child(k), k, names))
				continue
			}
			if cv := checkShape(f.Type, obj[k], p.Child(k), errs); cv != nil {
				out[k] = cv
			}
		}
		return out
	case reflect.Slice:
		list, ok := v.([]any)
		if !ok {
			*errs = append(*errs, field.TypeInvalid(p, kindOf(v), "want a list (lines starting with '- ')"))
			return nil
		}
		out := make([]any, 0, len(list))
		for i, e := range list {
			// A bad element stays as an empty one so later indices keep their place.
			cv := checkShape(t.Elem(), e, p.Index(i), errs)
			if cv == nil {
				cv = zeroOf(t.Elem())
			}
			out = append(out, cv)
		}
		return out
	case reflect.String:
		if _, ok := v.(string); !ok {
			*errs = append(*errs, field.TypeInvalid(p, kindOf(v), "want a string; quote the value"))
			return nil
		}
	case reflect.Bool:
		if _, ok := v.(bool); !ok {
			*errs = append(*errs, field.TypeInvalid(p, kindOf(v), "want true or false (YAML 1.2, as Pulumi reads it: yes/no/on/off are strings)"))
			return nil
		}
	case reflect.Int:
		n, ok := v.(json.Number)
		if _, err := n.Int64(); !ok || err != nil {
			*errs = append(*errs, field.TypeInvalid(p, kindOf(v), "want a whole number"))
			return nil
		}
	case reflect.Map:
		obj, ok := v.(map[string]any)
		if !ok {
			*errs = append(*errs, field.TypeInvalid(p, kindOf(v), "want an object"))
			return nil
		}
		out := map[string]any{}
		for _, k := range sortedKeys(obj) {
			if cv := checkShape(t.Elem(), obj[k], p.Key(k), errs); cv != nil {
				out[k] = cv
			}
		}
		return out
	}
	return v
}

func zeroOf(t reflect.Type) any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		return map[string]any{}
	case reflect.Slice:
		return []any{}
	}
	return nil
}

// kindOf names a value's kind for an error, never the value itself (it
// may be a secret put in the wrong place).
func kindOf(v any) string {
	switch v.(type) {
	case map[string]any:
		return "(an object)"
	case []any:
		return "(a list)"
	case string:
		return "(a string)"
	case bool:
		return "(a boolean)"
	case json.Number:
		return "(a number)"
	}
	return fmt.Sprintf("(%T)", v)
}

func leaf(p *field.Path) string {
	s := p.String()
	if i := strings.LastIndexAny(s, ".]"); i >= 0 && s[i] == '.' {
		return s[i+1:]
	}
	return s
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func jsonFieldName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	if name == "-" || !f.IsExported() {
		return ""
	}
	return name
}

// unknownKey reports a key that no field has, suggesting the known key it
// most likely means.
func unknownKey(p *field.Path, key string, known []string) *field.Error {
	detail := "unknown key; known keys here: " + strings.Join(known, ", ")
	if s := didYouMean(key, known); s != "" {
		detail = fmt.Sprintf("unknown key; did you mean %s?", s)
	}
	return field.Invalid(p, key, detail)
}

// didYouMean returns the known key that key is a near miss of: the same
// after case folding and replacing look-alike characters, or within edit
// distance 2.
func didYouMean(key string, known []string) string {
	best, bestDist := "", 3
	sk := skeleton(key)
	for _, k := range known {
		if skeleton(k) == sk {
			return k
		}
		if d := levenshtein(strings.ToLower(key), strings.ToLower(k)); d < bestDist {
			best, bestDist = k, d
		}
	}
	return best
}

// confusables maps characters that look like ASCII letters to them (a
// subset of Unicode's confusables.txt, UTS #39: Cyrillic, Greek and
// fullwidth forms that render like the Latin letters of our keys).
var confusables = map[rune]rune{
	'а': 'a', 'с': 'c', 'е': 'e', 'һ': 'h', 'і': 'i', 'ј': 'j', 'к': 'k', 'ո': 'n', 'о': 'o', 'р': 'p',
	'ԛ': 'q', 'ѕ': 's', 'т': 't', 'ս': 'u', 'ԝ': 'w', 'х': 'x', 'у': 'y', 'ԁ': 'd', 'ɡ': 'g', 'ӏ': 'l',
	'α': 'a', 'ε': 'e', 'ι': 'i', 'κ': 'k', 'ν': 'v', 'ο': 'o', 'ρ': 'p', 'τ': 't', 'υ': 'u', 'χ': 'x',
	'А': 'a', 'В': 'b', 'С': 'c', 'Е': 'e', 'Н': 'h', 'І': 'i', 'К': 'k', 'М': 'm', 'О': 'o', 'Р': 'p',
	'Т': 't', 'Х': 'x', 'Ο': 'o', 'Ρ': 'p', 'Α': 'a', 'Β': 'b', 'Ε': 'e', 'Ι': 'i', 'Κ': 'k', 'Ν': 'n',
	'ı': 'i', '\u200b': -1, '\u200c': -1, '\u200d': -1, '\ufeff': -1, '\u00ad': -1,
}

// skeleton folds case, look-alikes, fullwidth forms and invisible
// characters, so keys that look the same compare equal.
func skeleton(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= 0xFF01 && r <= 0xFF5E { // fullwidth ASCII
			r -= 0xFEE0
		}
		if c, ok := confusables[r]; ok {
			if c < 0 {
				continue
			}
			r = c
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

func levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur := make([]int, len(rb)+1)
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(rb)]
}
