package stacks

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"sigs.k8s.io/yaml"
)

// StackFile is a Pulumi.<stack>.yaml read without the Pulumi CLI.
type StackFile struct {
	// Raw maps config keys (without the project prefix) to the string
	// Pulumi hands the program: plain strings as is, objects as JSON.
	Raw map[string]string
	// Secure lists keys stored encrypted; their values cannot be read here.
	Secure []string
}

// ReadStackFile reads the config of a stack file for offline runs (render,
// tests). Encrypted values are reported in Secure, not decrypted.
func ReadStackFile(path string) (*StackFile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var doc struct {
		Config map[string]any `json:"config"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	sf := &StackFile{Raw: map[string]string{}}
	for k, v := range doc.Config {
		key, ok := strings.CutPrefix(k, Project+":")
		if !ok {
			return nil, fmt.Errorf("%s: config key %q: use the %s: namespace", path, k, Project)
		}
		if m, isMap := v.(map[string]any); isMap && len(m) == 1 && m["secure"] != nil {
			sf.Secure = append(sf.Secure, key)
			continue
		}
		if s, isString := v.(string); isString {
			sf.Raw[key] = s
			continue
		}
		j, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", path, k, err)
		}
		sf.Raw[key] = string(j)
	}
	return sf, nil
}
