package responder

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// blogRules are the original responder's rule names (anchor inventory
// §2.17): 24 syscall rules and 2 audit rules, under their current upstream
// names (tests/conformance checks each is loaded). The default must keep
// them.
var blogRules = []string{
	"Debugfs Launched in Privileged Container", "Launch Package Management Process in Container",
	"Launch Remote File Copy Tools in Container", "Launch Suspicious Network Tool in Container",
	"Mkdir binary dirs", "Modify binary dirs", "Mount Launched in Privileged Container",
	"Netcat Remote Code Execution in Container", "Read sensitive file trusted after startup",
	"Read sensitive file untrusted", "Run shell untrusted", "Sudo Potential Privilege Escalation",
	"Terminal shell in container", "Kubernetes Client Tool Launched in Container", "User mgmt binaries",
	"Write below binary dir", "Write below etc", "Write below monitored dir", "Write below root",
	"Create files below dev", "Redirect STDOUT/STDIN to Network Connection in Container", "Reverse shell",
	"Code Execution from TMP folder in Container", "Suspect Renamed Netcat Remote Code Execution in Container",
	"Attach/Exec Pod", "Create HostNetwork Pod",
}

// customRules are the project's own rules; the original only alerted on
// the last two.
var customRules = []string{
	"Suspect Renamed Netcat Remote Code Execution in Container", "Reverse shell",
	"Code Execution from TMP folder in Container", "Read sensitive file untrusted custom",
	"Service account files accessed inside container",
}

func TestDefaultConfig_RuleList(t *testing.T) {
	c := DefaultConfig()
	if len(c.Responses) != 1 {
		t.Fatalf("want one response, got %d", len(c.Responses))
	}
	r := c.Responses[0]
	if r.Action != DeletePodAction || r.GracePeriodSeconds == nil || *r.GracePeriodSeconds != 0 {
		t.Fatalf("default must delete with grace 0: %+v", r)
	}
	// Names no pinned upstream file defines: the blog's, and the one
	// upstream renamed in 2023.
	for _, dead := range []string{"Redirect stdout/stdin to network connection", "The docker client is executed in a container"} {
		if slices.Contains(r.Rules, dead) {
			t.Errorf("default config lists %q, which no Falco rule file defines", dead)
		}
	}
	for _, want := range append(slices.Clone(blogRules), customRules...) {
		if !slices.Contains(r.Rules, want) {
			t.Errorf("default config lacks %q", want)
		}
	}
	if len(blogRules) != 26 {
		t.Fatalf("blog list has %d names, want 24+2", len(blogRules))
	}
	if !slices.Contains(r.Rules, "Redirect STDOUT/STDIN to Network Connection in Container") {
		t.Error("the upstream name of the redirect rule is missing")
	}
}

func TestDefaultConfig_Defaults(t *testing.T) {
	c := DefaultConfig()
	if c.DedupTTL.Duration != 30*time.Second || c.MaxBodyBytes != 64<<10 || c.RateLimit.Burst != 500 || c.RateLimit.MaxPending != 2000 || c.Connections.Max != 1024 || c.OwnNamespace != "falco-responder" {
		t.Fatalf("unexpected defaults: %+v", c)
	}
	if len(c.Allow.Namespaces) != 0 || len(c.Allow.PodLabels) != 0 {
		t.Fatal("the default allow-list must be empty")
	}
}

func TestParseConfig_Errors(t *testing.T) {
	cases := []struct {
		name, yaml string
		want       []string
	}{
		{"unknown key", "responses: []\nrateLimits: {}\n", []string{`unknown field "rateLimits"`}},
		{"bad priority", "responses:\n- action: delete-pod\n  minPriority: urgent\n  rules: [a]\n", []string{"unknown priority"}},
		{"bad duration", "dedupTTL: soon\n", []string{`invalid duration "soon"`}},
		{"all at once", `
responses:
- action: reboot-node
  rules: []
- action: delete-pod
  gracePeriodSeconds: -1
  rules: ["Reverse shell", "reverse  SHELL", ""]
allow:
  namespaces: [Bad_NS]
  podLabels: ["a b=c", "ok=bad value"]
ownNamespace: "-x"
maxBodyBytes: -5
`, []string{
			`responses[0].action: Unsupported value: "reboot-node"`,
			"responses[0].rules: Required value",
			"responses[1].gracePeriodSeconds: Invalid value: -1",
			"responses[1].rules[1]: Duplicate value",
			"responses[1].rules[2]: Required value",
			"allow.namespaces[0]: Invalid value",
			"allow.podLabels[0]: Invalid value",
			"allow.podLabels[1]: Invalid value",
			"ownNamespace: Invalid value",
			"maxBodyBytes: Invalid value",
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseConfig([]byte(c.yaml))
			if err == nil {
				t.Fatal("want an error")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
}

func TestParseConfig_EmptyMatchesNothing(t *testing.T) {
	c, err := ParseConfig([]byte("responses: []\n"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := newMatcher(c, ActionDeps{})
	if err != nil {
		t.Fatal(err)
	}
	for rule := range fixtures(t) {
		ev := &Event{Rule: rule, Priority: PriorityEmergency}
		if b, why := m.match(ev); b != nil || why != ReasonUnknownRule {
			t.Fatalf("%s matched an empty configuration", rule)
		}
	}
}
