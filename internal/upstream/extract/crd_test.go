package extract

import (
	"reflect"
	"testing"
)

// A synthetic CRD (not upstream text) in the layout controller-gen
// writes, with a second document that is not a CRD.
const syntheticCRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.io
spec:
  group: example.io
  scope: Namespaced
  names: {kind: Widget, plural: widgets}
  versions:
  - name: v1alpha1
    served: false
    storage: false
    schema:
      openAPIV3Schema: {type: object, properties: {spec: {type: object}}}
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              sizes: {type: array, items: {type: integer}}
              port: {x-kubernetes-int-or-string: true}
              labels: {type: object, additionalProperties: {type: string}}
              raw: {type: object, x-kubernetes-preserve-unknown-fields: true}
              selectors:
                type: array
                items:
                  type: object
                  properties:
                    "example.io/name": {type: string}
                    enabled: {type: boolean}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: not-a-crd}
`

func TestCRDKinds(t *testing.T) {
	kinds, err := CRDKinds(map[string][]byte{"widgets.yaml": []byte(syntheticCRD)})
	if err != nil {
		t.Fatal(err)
	}
	if len(kinds) != 1 {
		t.Fatalf("%d kinds, want 1 (the ConfigMap is skipped)", len(kinds))
	}
	k := kinds[0]
	if k.Group != "example.io" || k.Kind != "Widget" || k.Plural != "widgets" || k.Scope != "Namespaced" || len(k.Versions) != 2 {
		t.Fatalf("kind %+v", k)
	}
	if v := k.Versions[0]; v.Name != "v1alpha1" || v.Served || v.Storage {
		t.Errorf("v1alpha1: %+v", v)
	}
	want := map[string]string{
		"spec": FieldObject, "spec.sizes": FieldArray, "spec.sizes[]": FieldInteger,
		"spec.port": FieldIntOrString, "spec.labels": FieldMap, "spec.raw": FieldMap,
		"spec.selectors": FieldArray, "spec.selectors[]": FieldObject,
		`spec.selectors[].example\.io/name`: FieldString, "spec.selectors[].enabled": FieldBoolean,
	}
	if got := k.Versions[1].Fields; !reflect.DeepEqual(got, want) {
		t.Errorf("fields\n got %v\nwant %v", got, want)
	}
	if _, err := CRDKinds(map[string][]byte{"bad.yaml": []byte("kind: CustomResourceDefinition\nspec: {group: x}\n")}); err == nil {
		t.Error("a CRD without kind or versions was accepted")
	}
}
