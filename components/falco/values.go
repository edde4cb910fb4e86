package falco

import (
	"fmt"
	"sort"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// toInput turns rendered values into Pulumi inputs, replacing each Ref by
// its output. Secret Refs stay secret (wrapped again in case the caller
// passed a plain value), so Helm values never carry them in the clear.
func toInput(v any, refs map[string]pulumi.Input) (pulumi.Input, error) {
	switch t := v.(type) {
	case Ref:
		in, ok := refs[t.Key]
		if !ok || in == nil {
			return nil, fmt.Errorf("helm value %s: no input", t.Key)
		}
		if t.Secret {
			return pulumi.ToSecret(in), nil
		}
		return in, nil
	case map[string]any:
		m := pulumi.Map{}
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			in, err := toInput(t[k], refs)
			if err != nil {
				return nil, err
			}
			m[k] = in
		}
		return m, nil
	case []any:
		a := pulumi.Array{}
		for _, e := range t {
			in, err := toInput(e, refs)
			if err != nil {
				return nil, err
			}
			a = append(a, in)
		}
		return a, nil
	case string:
		return pulumi.String(t), nil
	case bool:
		return pulumi.Bool(t), nil
	case int:
		return pulumi.Int(t), nil
	}
	return nil, fmt.Errorf("helm value of type %T not supported", v)
}

// Redacted renders values for review (cmd/render, golden files): a Ref
// becomes a marker naming its source, never a value.
func Redacted(v any) any {
	switch t := v.(type) {
	case Ref:
		if t.Secret {
			return "(secret: " + t.Key + ")"
		}
		return "(output: " + t.Key + ")"
	case map[string]any:
		m := map[string]any{}
		for k, e := range t {
			m[k] = Redacted(e)
		}
		return m
	case []any:
		a := make([]any, len(t))
		for i, e := range t {
			a[i] = Redacted(e)
		}
		return a
	}
	return v
}
