package testprovider

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// plain drops secret markers (recursively) so that a value compares and
// reads by its content.
func plain(v resource.PropertyValue) resource.PropertyValue {
	switch {
	case v.IsSecret():
		return plain(v.SecretValue().Element)
	case v.IsObject():
		m := resource.PropertyMap{}
		for k, e := range v.ObjectValue() {
			m[k] = plain(e)
		}
		return resource.NewProperty(m)
	case v.IsArray():
		var a []resource.PropertyValue
		for _, e := range v.ArrayValue() {
			a = append(a, plain(e))
		}
		return resource.NewProperty(a)
	}
	return v
}

// Plain is m with every secret marker dropped.
func Plain(m resource.PropertyMap) resource.PropertyMap {
	return plain(resource.NewProperty(m)).ObjectValue()
}

// Str reads an optional string input (secret or not).
func Str(m resource.PropertyMap, key string) (string, bool) {
	v, ok := m[resource.PropertyKey(key)]
	if !ok {
		return "", false
	}
	v = plain(v)
	if !v.IsString() {
		return "", false
	}
	return v.StringValue(), true
}

// Num reads an optional number input.
func Num(m resource.PropertyMap, key string, def float64) float64 {
	v, ok := m[resource.PropertyKey(key)]
	if !ok {
		return def
	}
	v = plain(v)
	if !v.IsNumber() {
		return def
	}
	return v.NumberValue()
}

// Bool reads an optional bool input.
func Bool(m resource.PropertyMap, key string, def bool) bool {
	v, ok := m[resource.PropertyKey(key)]
	if !ok {
		return def
	}
	v = plain(v)
	if !v.IsBool() {
		return def
	}
	return v.BoolValue()
}

// Strings reads an optional list of strings.
func Strings(m resource.PropertyMap, key string) ([]string, error) {
	v, ok := m[resource.PropertyKey(key)]
	if !ok {
		return nil, nil
	}
	v = plain(v)
	if !v.IsArray() {
		return nil, fmt.Errorf("%s: want a list, got %s", key, v.TypeString())
	}
	var out []string
	for _, e := range v.ArrayValue() {
		if !e.IsString() {
			return nil, fmt.Errorf("%s: want strings, got %s", key, e.TypeString())
		}
		out = append(out, e.StringValue())
	}
	return out, nil
}

// Secret marks v secret (idempotent).
func Secret(v resource.PropertyValue) resource.PropertyValue {
	if v.IsSecret() {
		return v
	}
	return resource.MakeSecret(v)
}

// Copy is a shallow copy of m.
func Copy(m resource.PropertyMap) resource.PropertyMap {
	out := resource.PropertyMap{}
	for k, v := range m {
		out[k] = v
	}
	return out
}
