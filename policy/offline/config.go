package offline

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

	"k3s-onprem/policy/policies"
)

var levels = map[string]policyx.EnforcementLevel{
	"advisory":  policyx.EnforcementLevelAdvisory,
	"mandatory": policyx.EnforcementLevelMandatory,
	"disabled":  policyx.EnforcementLevelDisabled,
	"remediate": policyx.EnforcementLevelRemediate,
}

// LevelName is the policy config spelling of a level.
func LevelName(l policyx.EnforcementLevel) string { return policies.LevelName(l) }

// ParseConfig reads a policy config file in the format of
// `pulumi preview --policy-pack-config`: policy name (or "all") to either a
// level ("advisory") or an object with enforcementLevel and the policy's
// properties. It returns the effective config of every policy of the pack,
// as the engine sends it to the analyzer: a policy without a level of its
// own takes "all", else its default. Unknown policy names are errors, so a
// typo cannot leave a policy at a level nobody meant.
func ParseConfig(pack policyx.PolicyPack, data []byte) (map[string]policyx.PolicyConfig, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("policy config: %w", err)
	}
	known := map[string]bool{"all": true}
	for _, p := range pack.Policies() {
		known[p.Name()] = true
	}
	parsed := map[string]policyx.PolicyConfig{}
	hasLevel := map[string]bool{}
	var names []string
	for name := range raw {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if !known[name] {
			return nil, fmt.Errorf("policy config: %q is not a policy of %s", name, pack.Name())
		}
		var pc policyx.PolicyConfig
		var level string
		if err := json.Unmarshal(raw[name], &level); err != nil {
			var obj map[string]any
			if err := json.Unmarshal(raw[name], &obj); err != nil {
				return nil, fmt.Errorf("policy config: %s: want a level or an object", name)
			}
			level, _ = obj["enforcementLevel"].(string)
			delete(obj, "enforcementLevel")
			pc.Properties = obj
		}
		if level != "" {
			l, ok := levels[level]
			if !ok {
				return nil, fmt.Errorf("policy config: %s: unknown enforcement level %q", name, level)
			}
			pc.EnforcementLevel = l
			hasLevel[name] = true
		}
		parsed[name] = pc
	}
	out := map[string]policyx.PolicyConfig{}
	for _, p := range pack.Policies() {
		pc := parsed[p.Name()]
		switch {
		case hasLevel[p.Name()]:
		case hasLevel["all"]:
			pc.EnforcementLevel = parsed["all"].EnforcementLevel
		default:
			pc.EnforcementLevel = p.EnforcementLevel()
		}
		out[p.Name()] = pc
	}
	return out, nil
}

// CheckConfig refuses a policy config that disables any policy on a
// production stack. The running pack notices such a config too (the guard
// policies), but only this check also catches "all": "disabled", which
// switches the guards off with everything else.
func CheckConfig(env policies.Env, cfg map[string]policyx.PolicyConfig) error {
	if !env.Prod {
		return nil
	}
	var disabled []string
	for name, pc := range cfg {
		if pc.EnforcementLevel == policyx.EnforcementLevelDisabled {
			disabled = append(disabled, name)
		}
	}
	if len(disabled) == 0 {
		return nil
	}
	sort.Strings(disabled)
	return fmt.Errorf("policy config disables %s on production stack %s: production stacks run the whole pack; "+
		"remove the `disabled` overrides, or set a policy to advisory to accept a finding for a while", strings.Join(disabled, ", "), env.Stack)
}
