package podsecurity

import (
	"encoding/json"
	"fmt"

	pmetav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Typed converts an upstream API value (a k8s.io/api struct) into the
// pulumi-kubernetes SDK's plain struct of the same schema, through JSON.
// The SDK's plain structs carry no JSON tags, but their field names are
// the JSON names capitalised, which encoding/json matches
// case-insensitively. A field that failed to match would be dropped
// silently; the round-trip tests compare what the resources register with
// the rendered objects, which catches that.
func Typed[P any](v any) (P, error) {
	var p P
	j, err := json.Marshal(v)
	if err != nil {
		return p, err
	}
	if err := json.Unmarshal(j, &p); err != nil {
		return p, fmt.Errorf("%T: %w", p, err)
	}
	return p, nil
}

// Output turns a plain SDK value into its typed Output (O), which every
// typed resource accepts as input. pulumi.ToOutput finds the Output type
// the SDK registered for the value's type.
func Output[O pulumi.Output](plain any) (O, error) {
	o, ok := pulumi.ToOutput(plain).(O)
	if !ok {
		var zero O
		return zero, fmt.Errorf("no %T for %T", zero, plain)
	}
	return o, nil
}

// Convert is Typed then Output: an upstream API value as the input of a
// typed resource field.
func Convert[P any, O pulumi.Output](v any) (O, error) {
	p, err := Typed[P](v)
	if err != nil {
		var zero O
		return zero, err
	}
	return Output[O](p)
}

// Meta converts object metadata (name, namespace, labels, annotations:
// the only fields a manifest sets).
func Meta(m metav1.ObjectMeta) pmetav1.ObjectMetaArgs {
	a := pmetav1.ObjectMetaArgs{Name: pulumi.String(m.Name)}
	if m.Namespace != "" {
		a.Namespace = pulumi.String(m.Namespace)
	}
	if len(m.Labels) > 0 {
		a.Labels = pulumi.ToStringMap(m.Labels)
	}
	if len(m.Annotations) > 0 {
		a.Annotations = pulumi.ToStringMap(m.Annotations)
	}
	return a
}

// ResourceName names the Pulumi resource of an object:
// <kind>-[<namespace>-]<name>, lower case, unique in the stack.
func ResourceName(kind string, m metav1.ObjectMeta) string {
	n := lower(kind) + "-"
	if m.Namespace != "" {
		n += m.Namespace + "-"
	}
	return n + m.Name
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// ChildURN is the URN of a resource named name of type typ whose parent is
// a component of type parentType registered at the stack's root: what a
// component hands to Args.Adopted for an object it used to create itself.
func ChildURN(stack, project, parentType, typ, name string) pulumi.URN {
	return pulumi.URN("urn:pulumi:" + stack + "::" + project + "::" + parentType + "$" + typ + "::" + name)
}
