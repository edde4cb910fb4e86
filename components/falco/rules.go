package falco

import (
	"embed"
	"fmt"
	"path"
	"sort"
)

// Custom rules are data: YAML files under rules/, embedded at build time
// and installed unchanged into /etc/falco/rules.d, which Falco loads (in
// name order) after its default ruleset.
//
//go:embed rules/*.yaml
var rulesFS embed.FS

// RulesDir is where Falco reads extra rule files on the hosts.
const RulesDir = "/etc/falco/rules.d"

// RuleFile is one custom rules file.
type RuleFile struct {
	// Name is the file name; the numeric prefix fixes the load order
	// (shared lists and macros first).
	Name    string
	Content []byte
}

// Rules returns the custom rule files in load order.
func Rules() ([]RuleFile, error) {
	entries, err := rulesFS.ReadDir("rules")
	if err != nil {
		return nil, fmt.Errorf("read embedded rules: %w", err)
	}
	var out []RuleFile
	for _, e := range entries {
		b, err := rulesFS.ReadFile(path.Join("rules", e.Name()))
		if err != nil {
			return nil, fmt.Errorf("read rule file %s: %w", e.Name(), err)
		}
		out = append(out, RuleFile{Name: "k3s-onprem-" + e.Name(), Content: b})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}
