package stacks

import (
	"encoding/json"
	"fmt"
	"path/filepath"

	"k3s-onprem/internal/plan"
)

// Placeholder is the value offline runs use for secrets they cannot read.
const Placeholder = "REDACTED-offline-placeholder"

// DecodeStackFile reads, defaults and validates Pulumi.<stack>.yaml in dir
// offline, with placeholders for the encrypted secrets it cannot read. The
// reader's problems and validation errors come back together.
func DecodeStackFile(dir, stack string) (*ClusterSpec, error) {
	sf, err := ReadStackFile(filepath.Join(dir, "Pulumi."+stack+".yaml"))
	if err != nil {
		return nil, err
	}
	sf.withPlaceholders()
	spec, v := Decode(stack, sf.Raw)
	v.Errors = append(sf.Problems, v.Errors...)
	return spec, v.Err()
}

// withPlaceholders stands in for encrypted secrets. Only an encrypted value
// gets a placeholder: an absent sshPrivateKey stays absent, so a stack
// without credentials fails validation offline as it would for real.
func (sf *StackFile) withPlaceholders() {
	raw := sf.Raw
	// ssh.privateKeyPath names a file on the operator's machine; offline
	// runs stand in for its content rather than read it.
	var ssh SSH
	_ = json.Unmarshal([]byte(raw["ssh"]), &ssh)
	_, plain := raw[KeySSHPrivateKey]
	if contains(sf.Secure, KeySSHPrivateKey) || (!plain && ssh.PrivateKeyPath != "") {
		raw[KeySSHPrivateKey] = Placeholder
	}
	if contains(sf.Secure, KeyBackupS3SecretKey) {
		raw[KeyBackupS3SecretKey] = Placeholder
	}
	placeholderURL := func(t string) string { return "https://" + Placeholder + ".invalid/" + t }
	switch {
	case contains(sf.Secure, KeyFalcoOutputURLs):
		// Encrypted as a whole: assume a URL for every configured output.
		var falco Falco
		_ = json.Unmarshal([]byte(raw["falco"]), &falco)
		urls := map[string]string{}
		for _, o := range falco.Outputs {
			urls[o.Type] = placeholderURL(o.Type)
		}
		b, _ := json.Marshal(urls)
		raw[KeyFalcoOutputURLs] = string(b)
	case raw[KeyFalcoOutputURLs] != "":
		// Set with --path: each encrypted URL gets a placeholder.
		var urls map[string]any
		if json.Unmarshal([]byte(raw[KeyFalcoOutputURLs]), &urls) == nil {
			for t := range urls {
				if contains(sf.SecurePaths, KeyFalcoOutputURLs+"."+t) {
					urls[t] = placeholderURL(t)
				}
			}
			b, _ := json.Marshal(urls)
			raw[KeyFalcoOutputURLs] = string(b)
		}
	}
}

// PlanStack runs the program for Pulumi.<stack>.yaml in dir under Pulumi's
// mock monitor: no engine, no CLI, no hosts. Encrypted secrets get a
// placeholder so the graph is complete; override may adjust the raw config
// first (the lab points the dev stack at its own hosts). A stack file with
// problems or invalid config fails with all of them before anything runs.
func PlanStack(dir, stack string, override func(raw map[string]string)) (*plan.Plan, error) {
	sf, err := ReadStackFile(filepath.Join(dir, "Pulumi."+stack+".yaml"))
	if err != nil {
		return nil, err
	}
	raw := sf.Raw
	secretKeys := []string{KeySSHPrivateKey, KeyFalcoOutputURLs, KeyBackupS3SecretKey}
	sf.withPlaceholders()
	if override != nil {
		override(raw)
	}
	spec, v := Decode(stack, raw)
	v.Errors = append(sf.Problems, v.Errors...)
	if err := v.Err(); err != nil {
		return nil, fmt.Errorf("stack %s: %w", stack, err)
	}
	p, err := plan.Run(Project, stack, raw, secretKeys, Run)
	if err != nil {
		return nil, err
	}
	// Name hosts by SSH endpoint for readers of the plan (render, lab runner).
	p.Nodes = map[string]string{}
	for _, n := range spec.Nodes {
		p.Nodes[plan.EndpointKey(n.SSH.Host, n.SSH.Port)] = n.Name
	}
	if o := spec.Backup.OffHost; o != nil {
		p.Nodes[plan.EndpointKey(o.Host.Address, o.Host.Port)] = spec.ClusterName + "-" + BackupHostNode
	}
	return p, nil
}
