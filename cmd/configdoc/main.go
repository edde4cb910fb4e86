// Command configdoc prints the config reference table from Pulumi.yaml;
// README.md embeds its output between markers and a test keeps them equal.
package main

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"k3s-onprem/stacks"
	"sigs.k8s.io/yaml"
)

type configKey struct {
	Type        string `json:"type"`
	Secret      bool   `json:"secret"`
	Description string `json:"description"`
	Default     any    `json:"default"`
}

// Table renders the config section of a Pulumi.yaml as a Markdown table,
// keys in file order.
func Table(projectYAML []byte) (string, error) {
	var doc struct {
		Config map[string]configKey `json:"config"`
	}
	if err := yaml.Unmarshal(projectYAML, &doc); err != nil {
		return "", err
	}
	keys, err := keyOrder(projectYAML)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString("| key | type | description (fields, defaults) |\n|---|---|---|\n")
	for _, k := range keys {
		c := doc.Config[k]
		t := c.Type
		// The secret keys cannot carry `secret: true` (see Pulumi.yaml);
		// the program enforces it, and the table says it.
		if c.Secret || slices.Contains(stacks.SecretKeys, k) {
			t += ", secret"
		}
		// The CLI requires every key without a default.
		if c.Default == nil {
			t += ", required"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", k, t, strings.ReplaceAll(strings.TrimSpace(c.Description), "|", "\\|"))
	}
	return b.String(), nil
}

// keyOrder returns the config keys in the order they appear in the file.
func keyOrder(projectYAML []byte) ([]string, error) {
	var keys []string
	in := false
	for _, line := range strings.Split(string(projectYAML), "\n") {
		switch {
		case line == "config:":
			in = true
		case in && strings.HasPrefix(line, "  ") && !strings.HasPrefix(line, "   ") && strings.HasSuffix(line, ":"):
			keys = append(keys, strings.TrimSuffix(strings.TrimSpace(line), ":"))
		case in && line != "" && !strings.HasPrefix(line, " "):
			in = false
		}
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("no config keys found")
	}
	return keys, nil
}

func main() {
	b, err := os.ReadFile("Pulumi.yaml")
	if err == nil {
		var t string
		if t, err = Table(b); err == nil {
			fmt.Print(t)
			return
		}
	}
	fmt.Fprintln(os.Stderr, "configdoc:", err)
	os.Exit(1)
}
