package stacks

import (
	"reflect"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// notShown stands for a value an error message must not repeat.
const notShown = "(value not shown)"

// secretShaped reports a value that may be a credential: a PEM block, a
// URL (webhook URLs and credentials in URLs are secrets), several lines,
// or a long unbroken token. Such values are never echoed in errors.
func secretShaped(s string) bool {
	switch {
	case strings.Contains(s, "PRIVATE KEY"), strings.Contains(s, "-----BEGIN"),
		strings.Contains(s, "://"), strings.ContainsAny(s, "\n\r"):
		return true
	}
	return len(s) >= 40 && !strings.ContainsAny(s, " \t")
}

// redact removes every secret-shaped string of the spec from the errors'
// values and details, so no message (from any check, now or later) can
// carry one.
func redact(spec *ClusterSpec, errs field.ErrorList) {
	var secrets []string
	collectStrings(reflect.ValueOf(spec).Elem(), func(s string) {
		if secretShaped(s) {
			secrets = append(secrets, s)
		}
	})
	for _, e := range errs {
		if s, ok := e.BadValue.(string); ok && secretShaped(s) {
			e.BadValue = notShown
		}
		for _, s := range secrets {
			e.Detail = strings.ReplaceAll(e.Detail, s, notShown)
			if bv, ok := e.BadValue.(string); ok {
				e.BadValue = strings.ReplaceAll(bv, s, notShown)
			}
		}
	}
}

// collectStrings calls f with every string in v, recursively.
func collectStrings(v reflect.Value, f func(string)) {
	switch v.Kind() {
	case reflect.String:
		f(v.String())
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			collectStrings(v.Elem(), f)
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				collectStrings(v.Field(i), f)
			}
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			collectStrings(v.Index(i), f)
		}
	case reflect.Map:
		for _, k := range v.MapKeys() {
			collectStrings(k, f)
			collectStrings(v.MapIndex(k), f)
		}
	}
}
