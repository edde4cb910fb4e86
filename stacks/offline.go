package stacks

import (
	"encoding/json"
	"path/filepath"

	"k3s-onprem/internal/plan"
)

// Placeholder is the value offline runs use for secrets they cannot read.
const Placeholder = "REDACTED-offline-placeholder"

// DecodeStackFile reads, defaults and validates Pulumi.<stack>.yaml in dir
// offline, with placeholders for secrets it cannot read.
func DecodeStackFile(dir, stack string) (*ClusterSpec, error) {
	sf, err := ReadStackFile(filepath.Join(dir, "Pulumi."+stack+".yaml"))
	if err != nil {
		return nil, err
	}
	withPlaceholders(sf.Raw)
	spec, v := Decode(stack, sf.Raw)
	return spec, v.Err()
}

// withPlaceholders fills the secret keys a stack file does not hold in clear.
func withPlaceholders(raw map[string]string) {
	if _, ok := raw[KeySSHPrivateKey]; !ok {
		raw[KeySSHPrivateKey] = Placeholder
	}
	if _, ok := raw[KeyFalcoOutputURLs]; !ok {
		var falco Falco
		_ = json.Unmarshal([]byte(raw["falco"]), &falco)
		urls := map[string]string{}
		for _, o := range falco.Outputs {
			urls[o.Type] = "https://" + Placeholder + ".invalid/" + o.Type
		}
		b, _ := json.Marshal(urls)
		raw[KeyFalcoOutputURLs] = string(b)
	}
}

// PlanStack runs the program for Pulumi.<stack>.yaml in dir under Pulumi's
// mock monitor: no engine, no CLI, no hosts. Secrets the file does not hold
// in clear get a placeholder so the graph is complete; override may adjust
// the raw config first (the lab points the dev stack at its own hosts).
func PlanStack(dir, stack string, override func(raw map[string]string)) (*plan.Plan, error) {
	sf, err := ReadStackFile(filepath.Join(dir, "Pulumi."+stack+".yaml"))
	if err != nil {
		return nil, err
	}
	raw := sf.Raw
	secretKeys := []string{KeySSHPrivateKey, KeyFalcoOutputURLs}
	withPlaceholders(raw)
	if override != nil {
		override(raw)
	}
	p, err := plan.Run(Project, stack, raw, secretKeys, Run)
	if err != nil {
		return nil, err
	}
	// Name hosts by node for readers of the plan (render, lab runner).
	spec, _ := Decode(stack, raw)
	p.Nodes = map[string]string{}
	for _, n := range spec.Nodes {
		p.Nodes[n.SSH.Host] = n.Name
	}
	return p, nil
}
