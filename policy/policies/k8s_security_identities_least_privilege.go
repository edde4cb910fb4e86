package policies

import (
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

	"k3s-onprem/internal/namespaces"
)

// Identity classes of the security tooling. Falco and falcosidekick run in
// the falco namespace, daemonset-mode sensors in falco-system
// (components/falco); the responder's service account is falco-responder
// (components/responder), so "responder" in the name is checked first.
const (
	responderMarker  = "responder"
	identityFalco    = "Falco"
	identityResponse = "responder"
)

// falcoNamespaces are where Falco's identities live (from the namespace
// registry).
var falcoNamespaces = namespaces.ByOwner("falco")

// identityOf classifies a binding subject as a security tool identity.
func identityOf(s subject) string {
	if s.kind != "ServiceAccount" {
		return ""
	}
	switch {
	case strings.Contains(s.name, responderMarker):
		return identityResponse
	case slices.Contains(falcoNamespaces, s.namespace):
		return identityFalco
	}
	return ""
}

var readVerbs = []string{"get", "list", "watch"}

// responderWrites are the only writes the responder needs: delete (or
// evict) the offending pod and record an event about it.
var responderWrites = map[string][]string{
	"pods":          {"delete"},
	"pods/eviction": {"create"},
	"events":        {"create", "patch"},
}

// k8s-security-identities-least-privilege: Falco and the responder read events
// from every node and run with cluster-wide reach; if their tokens can do
// more than they need, a compromise of either is a compromise of the
// cluster. Falco reads; the responder reads and deletes pods.
var _ = register(stackRule{
	name:  "k8s-security-identities-least-privilege",
	order: 240,
	level: policyx.EnforcementLevelMandatory,
	cis:   "Kubernetes CIS 5.1.1, 5.1.2, 5.1.3, 5.1.8",
	what:  "Falco identities (service accounts in `falco`, `falco-system`) only get/list/watch; the responder (`*responder*`) only reads and deletes or evicts pods and records events; neither gets wildcards, secrets, `pods/exec`, `pods/attach`, `nodes/proxy`, `bind`/`escalate`/`impersonate`, or a role the stack does not define (built-in `view` excepted)",
	check: func(c *stackCheck) {
		byURN := map[string]policyx.AnalyzerResource{}
		for _, r := range c.resources {
			byURN[r.URN] = r
		}
		for _, r := range c.resources {
			b, ok := asBinding(r)
			if !ok {
				continue
			}
			for _, s := range b.subjects {
				id := identityOf(s)
				if id == "" {
					continue
				}
				for _, problem := range c.judgeBinding(r, b, id, byURN) {
					c.report(r.URN, "%s identity %s via binding %s: %s", id, s, b.name, problem)
				}
			}
		}
	},
})

// judgeBinding returns what is wrong with the role a security identity is
// bound to.
func (c *stackCheck) judgeBinding(r policyx.AnalyzerResource, b binding, id string, byURN map[string]policyx.AnalyzerResource) []string {
	role, found := c.findRole(r, b, byURN)
	if !found {
		switch {
		case b.roleName == "":
			return nil // not known yet
		case b.roleKind == "ClusterRole" && b.roleName == "view":
			return nil // built-in, read-only, no secrets
		}
		return []string{"binds " + b.roleKind + " " + b.roleName + ", which the stack does not define; bind a role the stack defines with only the rules the tool needs"}
	}
	rules, unknownRules := rulesOf(role.Properties)
	if unknownRules {
		return nil
	}
	var problems []string
	for _, ru := range rules {
		if ru.unknown {
			continue
		}
		problems = append(problems, judgeRule(ru, id)...)
	}
	return problems
}

// findRole resolves the binding's roleRef to a Role or ClusterRole of the
// stack: by name, or, while the name is not known yet, through the
// binding's dependencies (roleRef.name is usually the role's output).
func (c *stackCheck) findRole(r policyx.AnalyzerResource, b binding, byURN map[string]policyx.AnalyzerResource) (policyx.AnalyzerResource, bool) {
	want := typeClusterRole
	if b.roleKind == "Role" {
		want = typeRole
	}
	if b.roleName != "" {
		for _, cand := range c.resources {
			if cand.Type != want {
				continue
			}
			name, _ := at(cand.Properties, "metadata", "name").Str()
			ns, _ := at(cand.Properties, "metadata", "namespace").Str()
			if name == b.roleName && (want == typeClusterRole || ns == b.namespace) {
				return cand, true
			}
		}
		return policyx.AnalyzerResource{}, false
	}
	deps := append(slices.Clone(r.Dependencies), r.PropertyDependencies["roleRef"]...)
	for _, d := range deps {
		if cand, ok := byURN[d]; ok && cand.Type == want {
			return cand, true
		}
	}
	return policyx.AnalyzerResource{}, false
}

// judgeRule checks one PolicyRule against what the identity may do.
func judgeRule(ru rule, id string) []string {
	var problems []string
	for _, list := range [][]string{ru.apiGroups, ru.resources, ru.verbs} {
		if slices.Contains(list, "*") {
			problems = append(problems, "a rule uses the wildcard *: list the exact apiGroups, resources and verbs")
			return problems
		}
	}
	for _, v := range []string{"escalate", "bind", "impersonate"} {
		if slices.Contains(ru.verbs, v) {
			problems = append(problems, "a rule grants "+v+": remove it (it lets the identity raise its own permissions)")
		}
	}
	for _, res := range ru.resources {
		base := strings.SplitN(res, "/", 2)[0]
		switch {
		case base == "secrets":
			problems = append(problems, "a rule grants "+strings.Join(ru.verbs, ",")+" on secrets: remove it; neither tool reads secrets")
		case res == "pods/exec", res == "pods/attach", res == "nodes/proxy":
			problems = append(problems, "a rule grants "+res+": remove it; it is a shell on pods or nodes")
		}
	}
	for _, v := range ru.verbs {
		if slices.Contains(readVerbs, v) {
			continue
		}
		if id == identityFalco {
			problems = append(problems, "a rule grants "+v+" on "+strings.Join(ru.resources, ",")+": Falco only reads (get, list, watch)")
			continue
		}
		for _, res := range ru.resources {
			if !slices.Contains(responderWrites[res], v) {
				problems = append(problems, "a rule grants "+v+" on "+res+": the responder only deletes (or evicts) pods and records events")
			}
		}
	}
	return problems
}
