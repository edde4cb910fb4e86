package stacks

import (
	"reflect"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
)

// Every field a user can set is documented under its key in Pulumi.yaml.
func TestPulumiYAMLDocumentsEveryField(t *testing.T) {
	p, err := workspace.LoadProject("../Pulumi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	spec := reflect.TypeOf(ClusterSpec{})
	for i := 0; i < spec.NumField(); i++ {
		f := spec.Field(i)
		key := jsonName(f)
		if key == "" || key == "clusterName" {
			continue
		}
		doc, ok := p.Config[key]
		if !ok {
			t.Errorf("config key %s is not in Pulumi.yaml", key)
			continue
		}
		for _, name := range fieldNames(f.Type, map[reflect.Type]bool{}) {
			if !strings.Contains(doc.Description, name) {
				t.Errorf("Pulumi.yaml %s: description does not mention field %s", key, name)
			}
		}
	}
}

func jsonName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	if name == "-" {
		return ""
	}
	return name
}

// fieldNames lists the json names of a type's fields, recursively.
func fieldNames(t reflect.Type, seen map[reflect.Type]bool) []string {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || seen[t] {
		return nil
	}
	seen[t] = true
	var out []string
	for i := 0; i < t.NumField(); i++ {
		if n := jsonName(t.Field(i)); n != "" {
			out = append(out, n)
			out = append(out, fieldNames(t.Field(i).Type, seen)...)
		}
	}
	return out
}
