package conformance

// Falco conformance: what components/falco deploys against the pinned
// upstream Falco releases, as recorded in internal/upstream's fact tables
// (read from falcosecurity/{rules,falco,plugins} at the pinned tags; refresh
// with internal/upstream/falco-refresh.sh). Nothing here runs Falco: the
// tables are the upstream side, the renderers and the embedded rule files
// are ours.

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"k3s-onprem/components/falco"
	"k3s-onprem/internal/upstream"
)

// falcoLoaded is what one deployment loads and enables: rule names with
// their priority and file, and the macro and list names our rules may use.
type falcoLoaded struct {
	rules  map[string]falcoLoadedRule
	macros map[string]bool
	lists  map[string]bool
}

type falcoLoadedRule struct {
	file     string
	priority string
	enabled  bool
}

type falcoCustomItem struct {
	Rule      string   `json:"rule"`
	Macro     string   `json:"macro"`
	List      string   `json:"list"`
	Condition string   `json:"condition"`
	Priority  string   `json:"priority"`
	Tags      []string `json:"tags"`
	Items     []any    `json:"items"`
}

func falcoCustomItems(t *testing.T) map[string][]falcoCustomItem {
	t.Helper()
	files, err := falco.Rules()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]falcoCustomItem{}
	for _, f := range files {
		var items []falcoCustomItem
		if err := yaml.Unmarshal(f.Content, &items); err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		out[f.Name] = items
	}
	return out
}

// falcoDeployment builds what a Falco version's deployment loads, in load
// order: falco_rules.yaml, ours (rules.d), the incubating and sandbox files
// under the rendered rule selection, and the k8saudit ruleset.
func falcoDeployment(t *testing.T, version string) falcoLoaded {
	t.Helper()
	rs, err := falco.RulesetFor(version)
	if err != nil {
		t.Fatal(err)
	}
	selection, err := falco.RuleSelection(version)
	if err != nil {
		t.Fatal(err)
	}
	l := falcoLoaded{rules: map[string]falcoLoadedRule{}, macros: map[string]bool{}, lists: map[string]bool{}}
	addFile := func(ref string, tableMacros bool) upstream.FalcoRuleFile {
		f, err := upstream.FalcoRulesRef(ref)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range f.Rules {
			l.rules[r.Name] = falcoLoadedRule{file: path.Base(f.Source.File) + "@" + f.Source.Tag, priority: r.Priority, enabled: r.Enabled == nil || *r.Enabled}
		}
		// Our rules load before the extra files, so they may use only
		// falco_rules.yaml's macros and lists (and their own).
		if tableMacros {
			for _, m := range f.Macros {
				l.macros[m] = true
			}
			for _, li := range f.Lists {
				l.lists[li] = true
			}
		}
		return f
	}
	addFile(rs.Default, true)
	for name, items := range falcoCustomItems(t) {
		for _, it := range items {
			switch {
			case it.Rule != "":
				l.rules[it.Rule] = falcoLoadedRule{file: name, priority: strings.ToUpper(it.Priority), enabled: true}
			case it.Macro != "":
				l.macros[it.Macro] = true
			case it.List != "":
				l.lists[it.List] = true
			}
		}
	}
	for _, ref := range []string{rs.Incubating, rs.Sandbox} {
		f := addFile(ref, false)
		for _, r := range f.Rules {
			lr := l.rules[r.Name]
			lr.enabled = falcoSelectionEnables(selection, r, lr.enabled)
			l.rules[r.Name] = lr
		}
	}
	addFile(falco.K8sAuditRulesRef, false)
	return l
}

// falcoSelectionEnables applies falco.yaml `rules` entries in order, as
// Falco does: by exact rule name or by tag.
func falcoSelectionEnables(selection []any, r upstream.FalcoRule, enabled bool) bool {
	for _, e := range selection {
		for op, v := range e.(map[string]any) {
			m := v.(map[string]any)
			match := m["rule"] == r.Name || (m["tag"] != nil && slices.Contains(r.Tags, m["tag"].(string)))
			if match {
				enabled = op == "enable"
			}
		}
	}
	return enabled
}

// falcoCheckRulesLoaded returns one error per rule name the deployment
// does not load and enable.
func falcoCheckRulesLoaded(names []string, l falcoLoaded) []error {
	var errs []error
	for _, n := range names {
		r, ok := l.rules[n]
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("rule %q is defined in no file the deployment loads", n))
		case !r.enabled:
			errs = append(errs, fmt.Errorf("rule %q (%s) is loaded but disabled", n, r.file))
		}
	}
	return errs
}

// falcoPriorities is Falco's order, most severe first.
var falcoPriorities = []string{"EMERGENCY", "ALERT", "CRITICAL", "ERROR", "WARNING", "NOTICE", "INFORMATIONAL", "DEBUG"}

func falcoPriorityRank(p string) int {
	p = strings.ToUpper(p)
	if p == "INFO" {
		p = "INFORMATIONAL"
	}
	return slices.Index(falcoPriorities, p)
}

// falcoCheckPriorities returns one error per rule Falco would not emit at
// the minimum priority min.
func falcoCheckPriorities(names []string, l falcoLoaded, min string) []error {
	var errs []error
	for _, n := range names {
		r, ok := l.rules[n]
		if !ok {
			continue
		}
		rank := falcoPriorityRank(r.priority)
		if rank < 0 || rank > falcoPriorityRank(min) {
			errs = append(errs, fmt.Errorf("rule %q is %s, below Falco's minimum %s: it would never reach the responder", n, r.priority, min))
		}
	}
	return errs
}

var (
	falcoTokenRE = regexp.MustCompile(`"[^"]*"|'[^']*'|[(),]|[^\s(),]+`)
	falcoIdentRE = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)
	// Operators whose right side is a literal (or a parenthesised set).
	falcoCompareOps = map[string]bool{"=": true, "==": true, "!=": true, "<": true, "<=": true, ">": true, ">=": true,
		"contains": true, "icontains": true, "bcontains": true, "startswith": true, "bstartswith": true,
		"endswith": true, "glob": true, "iglob": true, "regex": true}
	falcoSetOps   = map[string]bool{"in": true, "pmatch": true, "intersects": true}
	falcoKeywords = map[string]bool{"and": true, "or": true, "not": true, "exists": true}
)

// falcoCheckReferences returns one error per macro or list a condition
// names that l does not define. A bare word in the expression is a macro;
// inside an in/pmatch/intersects set, a word with an underscore is taken
// as a list (set members such as proc names are literals).
func falcoCheckReferences(where, condition string, l falcoLoaded) []error {
	var errs []error
	var groups []bool // true: a set after in/pmatch/intersects
	prev := ""
	for _, tok := range falcoTokenRE.FindAllString(condition, -1) {
		switch {
		case tok == "(":
			groups = append(groups, falcoSetOps[prev])
		case tok == ")":
			if len(groups) > 0 {
				groups = groups[:len(groups)-1]
			}
		case len(groups) > 0 && groups[len(groups)-1]:
			if falcoIdentRE.MatchString(tok) && strings.Contains(tok, "_") && !l.lists[tok] {
				errs = append(errs, fmt.Errorf("%s: list %q is not defined", where, tok))
			}
		case falcoCompareOps[prev] || falcoCompareOps[tok] || falcoSetOps[tok] || falcoKeywords[tok]:
		case falcoIdentRE.MatchString(tok) && !l.macros[tok]:
			errs = append(errs, fmt.Errorf("%s: macro %q is not defined", where, tok))
		}
		prev = tok
	}
	return errs
}

func TestFalco_ResponderRulesLoaded(t *testing.T) {
	names := falco.ResponderRules()
	if len(names) < 25 {
		t.Fatalf("only %d responder rules", len(names))
	}
	for _, v := range falco.FalcoVersions() {
		l := falcoDeployment(t, v)
		for _, err := range falcoCheckRulesLoaded(names, l) {
			t.Errorf("falco %s: %v", v, err)
		}
		for _, err := range falcoCheckPriorities(names, l, falco.AlertPriority) {
			t.Errorf("falco %s: %v", v, err)
		}
	}
}

// TestFalco_ChecksBite: a rule nothing loads, a rule loaded but left
// disabled by the selection, a rule below the minimum priority and an
// undefined macro or list are each reported.
func TestFalco_ChecksBite(t *testing.T) {
	l := falcoDeployment(t, "0.42.1")
	if errs := falcoCheckRulesLoaded([]string{"The docker client is executed in a container"}, l); len(errs) != 1 {
		t.Errorf("a rule no file defines: %v", errs)
	}
	// A sandbox rule the responder does not act on stays disabled.
	if errs := falcoCheckRulesLoaded([]string{"Write below rpm database"}, l); len(errs) != 1 || !strings.Contains(errs[0].Error(), "disabled") {
		t.Errorf("a disabled sandbox rule: %v", errs)
	}
	if errs := falcoCheckPriorities([]string{"Run shell untrusted"}, l, "warning"); len(errs) != 1 {
		t.Errorf("a NOTICE rule under a WARNING minimum: %v", errs)
	}
	cond := `spawned_process and k3s_onprem_no_such_macro and proc.name in (k3s_onprem_no_such_list, sh) and fd.name = some_file`
	if errs := falcoCheckReferences("test", cond, l); len(errs) != 2 {
		t.Errorf("undefined macro and list: got %v", errs)
	}
}

func TestFalco_CustomRuleReferences(t *testing.T) {
	for _, v := range falco.FalcoVersions() {
		l := falcoDeployment(t, v)
		for file, items := range falcoCustomItems(t) {
			for _, it := range items {
				if it.Condition == "" {
					continue
				}
				where := fmt.Sprintf("falco %s: %s %s%s", v, file, it.Rule, it.Macro)
				for _, err := range falcoCheckReferences(where, it.Condition, l) {
					t.Error(err)
				}
				// Our rules must not be switched off by the tag selection.
				for _, tag := range it.Tags {
					if strings.HasPrefix(tag, "maturity_") {
						t.Errorf("%s: tag %s is the selection's", where, tag)
					}
				}
			}
		}
	}
}

// TestFalco_RulesetsAndConfig: the pinned rule releases of a Falco version
// come from one commit (their shared macros agree), every extra-file rule
// carries the tag the selection disables, and the packaged falco.yaml and
// unit are what our host-mode files build on.
func TestFalco_RulesetsAndConfig(t *testing.T) {
	for _, v := range falco.FalcoVersions() {
		rs, err := falco.RulesetFor(v)
		if err != nil {
			t.Fatal(err)
		}
		var commits []string
		for ref, tag := range map[string]string{rs.Default: "maturity_stable", rs.Incubating: "maturity_incubating", rs.Sandbox: "maturity_sandbox"} {
			f, err := upstream.FalcoRulesRef(ref)
			if err != nil {
				t.Fatal(err)
			}
			commits = append(commits, f.Source.Commit)
			for _, r := range f.Rules {
				if !slices.Contains(r.Tags, tag) {
					t.Errorf("falco %s: %s rule %q lacks %s", v, ref, r.Name, tag)
				}
			}
		}
		if commits[0] != commits[1] || commits[1] != commits[2] {
			t.Errorf("falco %s: ruleset %+v spans commits %v", v, rs, commits)
		}
		c, err := upstream.FalcoConfigFacts(v)
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Plugins) == 0 || c.Plugins[0] != "container" {
			t.Errorf("falco %s: falco.yaml plugins %v: the container option replaces plugins[0]", v, c.Plugins)
		}
		if c.ServiceExecStart != falco.PackagedExecStart {
			t.Errorf("falco %s: packaged ExecStart %q, drop-in assumes %q", v, c.ServiceExecStart, falco.PackagedExecStart)
		}
		if got := c.PackagedConfigD[path.Base(falco.ContainerPluginConfigPath)]; !slices.Equal(got, []string{"container"}) {
			t.Errorf("falco %s: packaged %s loads %v", v, falco.ContainerPluginConfigPath, got)
		}
		if !slices.Contains(c.ConfigFiles, falco.ConfigDir) {
			t.Errorf("falco %s: config_files %v lack %s", v, c.ConfigFiles, falco.ConfigDir)
		}
		if want := []string{falco.DefaultRulesPath, falco.LocalRulesPath, falco.RulesDir}; !slices.Equal(c.RulesFiles, want) {
			t.Errorf("falco %s: packaged rules_files %v, want %v", v, c.RulesFiles, want)
		}
		ds, err := falco.DaemonSetValues(falco.DaemonSetInput{Version: v, SidekickURL: "http://sidekick"})
		if err != nil {
			t.Fatal(err)
		}
		if got := ds["falco"].(map[string]any)["rules_files"].([]any); fmt.Sprint(got[:3]) != fmt.Sprint(c.RulesFiles) {
			t.Errorf("falco %s: daemonset rules_files %v do not start with the packaged %v", v, got, c.RulesFiles)
		}
	}
}
