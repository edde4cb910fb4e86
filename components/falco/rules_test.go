package falco

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"k3s-onprem/internal/upstream"
)

// No Falco binary can be installed here (no package for this machine, and
// the falcosecurity repository is out of reach), so `falco -V` cannot
// validate the rules. These tests check what can be checked without it:
// structure, priorities, that every macro and list a rule uses is defined
// by the project's files or by the default ruleset of every pinned Falco
// release (internal/upstream's fact tables), and that every output carries
// what the responder needs.

// defaultRulesetNames are the macros and lists that falco_rules.yaml
// (loaded before rules.d) defines in every pinned release.
var defaultRulesetNames = func() map[string]bool {
	count := map[string]int{}
	versions := FalcoVersions()
	for _, v := range versions {
		rs, err := RulesetFor(v)
		if err != nil {
			panic(err)
		}
		f, err := upstream.FalcoRulesRef(rs.Default)
		if err != nil {
			panic(err)
		}
		seen := map[string]bool{}
		for _, n := range append(append([]string{}, f.Macros...), f.Lists...) {
			if !seen[n] {
				seen[n] = true
				count[n]++
			}
		}
	}
	out := map[string]bool{}
	for n, c := range count {
		out[n] = c == len(versions)
	}
	return out
}()

var validPriorities = map[string]bool{
	"EMERGENCY": true, "ALERT": true, "CRITICAL": true, "ERROR": true,
	"WARNING": true, "NOTICE": true, "INFORMATIONAL": true, "INFO": true, "DEBUG": true,
}

type ruleItem struct {
	Rule      string   `json:"rule"`
	Macro     string   `json:"macro"`
	List      string   `json:"list"`
	Desc      string   `json:"desc"`
	Condition string   `json:"condition"`
	Output    string   `json:"output"`
	Priority  string   `json:"priority"`
	Tags      []string `json:"tags"`
	Items     []any    `json:"items"`
}

// The rules the project promises (blog and Ansible project).
var wantRules = []string{
	"Suspect Renamed Netcat Remote Code Execution in Container",
	"Reverse shell",
	"Code Execution from TMP folder in Container",
	"Read sensitive file untrusted custom",
	"Service account files accessed inside container",
}

func TestRules_Structure(t *testing.T) {
	files, err := Rules()
	if err != nil {
		t.Fatal(err)
	}
	macros, lists := map[string]bool{}, map[string]bool{}
	found := map[string]bool{}
	for _, f := range files {
		var items []ruleItem
		if err := yaml.UnmarshalStrict(f.Content, &items); err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		// Files load in name order, so a file may use what earlier ones define.
		for _, it := range items {
			switch {
			case it.Macro != "":
				report(t, checkCondition(f.Name, "macro "+it.Macro, it.Condition, macros, lists))
				macros[it.Macro] = true
			case it.List != "":
				if len(it.Items) == 0 {
					t.Errorf("%s: list %s is empty", f.Name, it.List)
				}
				lists[it.List] = true
			case it.Rule != "":
				found[it.Rule] = true
				report(t, checkRule(f.Name, it))
				report(t, checkCondition(f.Name, "rule "+it.Rule, it.Condition, macros, lists))
			default:
				t.Errorf("%s: item is neither rule, macro nor list: %+v", f.Name, it)
			}
		}
	}
	for _, r := range wantRules {
		if !found[r] {
			t.Errorf("rule %q is missing", r)
		}
	}
}

func checkRule(file string, r ruleItem) []string {
	var errs []string
	for field, v := range map[string]string{"desc": r.Desc, "condition": r.Condition, "output": r.Output, "priority": r.Priority} {
		if strings.TrimSpace(v) == "" {
			errs = append(errs, fmt.Sprintf("%s: rule %s has no %s", file, r.Rule, field))
		}
	}
	if !validPriorities[strings.ToUpper(r.Priority)] {
		errs = append(errs, fmt.Sprintf("%s: rule %s: priority %q is not a Falco priority", file, r.Rule, r.Priority))
	}
	if len(r.Tags) == 0 || r.Tags[0] != "k3s_onprem" {
		errs = append(errs, fmt.Sprintf("%s: rule %s: tags %v must start with k3s_onprem", file, r.Rule, r.Tags))
	}
	// The responder acts on the pod named by these two fields.
	for _, f := range []string{"%k8s.ns.name", "%k8s.pod.name"} {
		if !strings.Contains(r.Output, f) {
			errs = append(errs, fmt.Sprintf("%s: rule %s: output lacks %s", file, r.Rule, f))
		}
	}
	return errs
}

var (
	quoted = regexp.MustCompile(`"[^"]*"|'[^']*'`)
	token  = regexp.MustCompile(`\(|\)|,|!=|<=|>=|=|<|>|[^\s(),=<>!]+`)
)

// comparison operators take a value (or a parenthesised set) on their right.
var valueOps = map[string]bool{
	"=": true, "!=": true, "<": true, ">": true, "<=": true, ">=": true,
	"contains": true, "icontains": true, "bcontains": true, "startswith": true, "bstartswith": true,
	"endswith": true, "glob": true, "iglob": true, "regex": true,
}
var setOps = map[string]bool{"in": true, "intersects": true, "pmatch": true}

// checkCondition finds every macro and list a condition uses. A bare word
// that is not a field, an operator or a value is a macro reference; a word
// with an underscore inside a set (in/pmatch/intersects) is a list
// reference, while plain set items (bash, /tmp, -e) are values.
func checkCondition(file, what, cond string, macros, lists map[string]bool) []string {
	var errs []string
	toks := token.FindAllString(quoted.ReplaceAllString(cond, `"s"`), -1)
	for i := 0; i < len(toks); i++ {
		tok := toks[i]
		switch {
		case tok == "(" || tok == ")" || tok == "," || tok == "and" || tok == "or" || tok == "not":
		case strings.Contains(tok, "."):
			// A field: skip its operator and operand.
			if i+1 < len(toks) && toks[i+1] == "exists" {
				i++
				continue
			}
			if i+2 < len(toks) && valueOps[toks[i+1]] {
				i += 2
				continue
			}
			if i+2 < len(toks) && setOps[toks[i+1]] && toks[i+2] == "(" {
				j := i + 3
				for ; j < len(toks) && toks[j] != ")"; j++ {
					item := toks[j]
					if item == "," || !strings.Contains(item, "_") || strings.HasPrefix(item, "/") || strings.Contains(item, ".") {
						continue
					}
					if !lists[item] && !defaultRulesetNames[item] {
						errs = append(errs, fmt.Sprintf("%s: %s: list %q is not defined", file, what, item))
					}
				}
				i = j
				continue
			}
			errs = append(errs, fmt.Sprintf("%s: %s: cannot parse around field %q", file, what, tok))
		default:
			if !macros[tok] && !defaultRulesetNames[tok] {
				errs = append(errs, fmt.Sprintf("%s: %s: macro %q is not defined", file, what, tok))
			}
		}
	}
	return errs
}

func TestRules_SensitiveFilesCoverK3s(t *testing.T) {
	files, err := Rules()
	if err != nil {
		t.Fatal(err)
	}
	var all strings.Builder
	for _, f := range files {
		all.Write(f.Content)
	}
	for _, p := range []string{
		"/var/lib/rancher/k3s/server/token", "/etc/rancher/k3s/config.yaml",
		"/var/lib/rancher/k3s/server/cred/encryption-config.json", "/var/lib/rancher/k3s/server/psa.yaml",
		"/var/lib/rancher/k3s/server/audit.yaml", AuditWebhookConfigPath, "/etc/systemd/system/k3s",
	} {
		if !strings.Contains(all.String(), p) {
			t.Errorf("protected files do not cover %s", p)
		}
	}
}

func report(t *testing.T, errs []string) {
	t.Helper()
	for _, e := range errs {
		t.Error(e)
	}
}

func TestRules_CheckerCatchesBrokenRules(t *testing.T) {
	// The checker must catch what it claims to: an undefined macro and list,
	// a bad priority and missing pod fields.
	errs := checkCondition("x", "rule", `spawned_process and nope_macro and proc.name in (nope_list, bash)`, map[string]bool{}, map[string]bool{})
	if len(errs) != 2 {
		t.Errorf("want the undefined macro and list reported, got %q", errs)
	}
	errs = checkRule("x", ruleItem{Rule: "r", Desc: "d", Condition: "c", Output: "o", Priority: "LOUD", Tags: []string{"k3s_onprem"}})
	if len(errs) != 3 {
		t.Errorf("want the priority and both pod fields reported, got %q", errs)
	}
}
