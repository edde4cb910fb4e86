package main

import (
	"os"
	"path/filepath"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"sigs.k8s.io/yaml"

	"k3s-onprem/internal/plan"
)

// writeHelmValues writes the values of every Helm release the plan
// registers to cluster/helm/<release>.values.yaml, with each secret
// replaced by a marker, so reviewers see the chart input without the
// output URLs or tokens.
func writeHelmValues(p *plan.Plan, out string) error {
	for _, r := range p.OfType("kubernetes:helm.sh/v3:Release") {
		v, ok := r.Inputs["values"]
		if !ok {
			continue
		}
		b, err := yaml.Marshal(redact(v))
		if err != nil {
			return err
		}
		dir := filepath.Join(out, "cluster", "helm")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		if err := writeNew(filepath.Join(dir, r.Name+".values.yaml"), b); err != nil {
			return err
		}
	}
	return nil
}

// redact turns a property value into plain data, secrets as "(secret)".
func redact(v resource.PropertyValue) any {
	switch {
	case v.IsSecret():
		return "(secret)"
	case v.IsOutput():
		if v.OutputValue().Secret {
			return "(secret)"
		}
		if !v.OutputValue().Known {
			return "(unknown)"
		}
		return redact(v.OutputValue().Element)
	case v.IsComputed():
		return "(unknown)"
	case v.IsObject():
		m := map[string]any{}
		for k, e := range v.ObjectValue() {
			m[string(k)] = redact(e)
		}
		return m
	case v.IsArray():
		a := []any{}
		for _, e := range v.ArrayValue() {
			a = append(a, redact(e))
		}
		return a
	case v.IsString():
		return v.StringValue()
	case v.IsBool():
		return v.BoolValue()
	case v.IsNumber():
		return v.NumberValue()
	}
	return nil
}
