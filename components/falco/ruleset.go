package falco

import (
	"fmt"
	"sort"

	core "k3s-onprem/internal/responder"
	"k3s-onprem/internal/upstream"
)

// Both modes load Falco's default ruleset, the k8saudit ruleset (where the
// audit plugin runs), ours, and the upstream incubating and sandbox files:
// 13 of the rules the responder acts on live only there. falcoctl installs
// them, pinned (RulesetFor), next to falco_rules.yaml: /etc/falco on hosts,
// the chart's rulesfiles volume mounted at /etc/falco in pods.
const (
	DefaultRulesPath    = "/etc/falco/falco_rules.yaml"
	LocalRulesPath      = "/etc/falco/falco_rules.local.yaml"
	IncubatingRulesPath = "/etc/falco/falco-incubating_rules.yaml"
	SandboxRulesPath    = "/etc/falco/falco-sandbox_rules.yaml"
)

// Upstream tags that mark a rule's maturity; the extra files' rules all
// carry theirs (checked by tests/conformance).
const (
	tagIncubating = "maturity_incubating"
	tagSandbox    = "maturity_sandbox"
)

// AlertPriority is Falco's minimum priority in both modes: the lowest
// priority of any rule the responder acts on (NOTICE, e.g. "Run shell
// untrusted" and "Attach/Exec Pod"; tests/conformance checks it against the
// pinned rulesets). Lower levels are mostly k8saudit's INFO "K8s <kind>
// Created/Deleted" inventory events, which only add load on sidekick and
// the responder.
const AlertPriority = "notice"

// ResponderRules are the rule names the deployed responder acts on (its
// embedded default configuration; components/responder deploys that).
func ResponderRules() []string {
	var out []string
	for _, r := range core.DefaultConfig().Responses {
		out = append(out, r.Rules...)
	}
	return out
}

// RuleSelection is falco.yaml's `rules` setting: every incubating and
// sandbox rule off, then on again exactly those the responder acts on.
// Loading the whole files would add about 80 rules upstream does not load
// by default, each alert a request to sidekick; Falco applies the
// selection in order, after all files are loaded.
func RuleSelection(falcoVersion string) ([]any, error) {
	rs, err := RulesetFor(falcoVersion)
	if err != nil {
		return nil, err
	}
	extra := map[string]bool{}
	for _, ref := range []string{rs.Incubating, rs.Sandbox} {
		f, err := upstream.FalcoRulesRef(ref)
		if err != nil {
			return nil, err
		}
		for _, r := range f.Rules {
			extra[r.Name] = true
		}
	}
	sel := []any{
		map[string]any{"disable": map[string]any{"tag": tagIncubating}},
		map[string]any{"disable": map[string]any{"tag": tagSandbox}},
	}
	names := []string{}
	for _, n := range ResponderRules() {
		if extra[n] {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("falco %s: no responder rule is in %s or %s", falcoVersion, rs.Incubating, rs.Sandbox)
	}
	sort.Strings(names)
	for _, n := range names {
		sel = append(sel, map[string]any{"enable": map[string]any{"rule": n}})
	}
	return sel, nil
}
