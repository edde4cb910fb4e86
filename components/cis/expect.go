package cis

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"k3s-onprem/components/k3s"
	"k3s-onprem/internal/hoststep"
)

// Outcome is what the program expects kube-bench to report for a check.
type Outcome string

// Outcomes and the kube-bench status each one means.
const (
	// ExpectPass: the rendered configuration (or k3s's own default under
	// it) satisfies the check's test; kube-bench reports PASS.
	ExpectPass Outcome = "pass"
	// ExpectFail: the rendered configuration does not satisfy it, with the
	// reason; kube-bench reports FAIL.
	ExpectFail Outcome = "expected-fail"
	// ExpectManual: kube-bench marks it manual or defines no test; WARN.
	ExpectManual Outcome = "manual"
	// ExpectNotApplicable: kube-bench skips it for k3s; INFO.
	ExpectNotApplicable Outcome = "not-applicable"
	// ExpectReview: the outcome depends on what runs in the cluster or on
	// k3s internals not modelled here; the node's result decides.
	ExpectReview Outcome = "review"
)

// Expectation is the program's expectation for one check on one role.
type Expectation struct {
	ID      string
	Target  string
	Outcome Outcome
	Reason  string
}

// NodeRendering is what one node's expectation is derived from: its role,
// its rendered k3s config.yaml (typed), its k3s host steps and unit.
type NodeRendering struct {
	Role   string
	Config *k3s.Config
	Steps  []hoststep.Step
	Unit   []byte
}

// RenderNode builds a node's rendering from the k3s component's own pure
// renderers, so the expectation follows whatever they render.
func RenderNode(in k3s.StepsInput) (NodeRendering, error) {
	cfg, err := k3s.BuildConfig(in.Cluster, in.Node)
	if err != nil {
		return NodeRendering{}, err
	}
	steps, err := k3s.HostSteps(in)
	if err != nil {
		return NodeRendering{}, err
	}
	unit, err := k3s.RenderUnit(in.Node.Role)
	if err != nil {
		return NodeRendering{}, err
	}
	return NodeRendering{Role: in.Node.Role, Config: cfg, Steps: steps, Unit: unit}, nil
}

// Targets are the benchmark targets run on a role: everything on servers
// (they run the control plane, etcd and a kubelet), node checks on agents.
func Targets(role string) []string {
	if role == k3s.RoleServer {
		return []string{"master", "etcd", "controlplane", "node", "policies"}
	}
	return []string{"node"}
}

// Expect maps every check of b that runs on the node's role to the
// program's expectation. It is pure.
func Expect(b *Benchmark, n NodeRendering) []Expectation {
	targets := map[string]bool{}
	for _, t := range Targets(n.Role) {
		targets[t] = true
	}
	env := newEnv(n)
	var out []Expectation
	for _, c := range b.Checks {
		if !targets[c.Target] {
			continue
		}
		o, why := env.expect(c)
		out = append(out, Expectation{ID: c.ID, Target: c.Target, Outcome: o, Reason: why})
	}
	return out
}

// env is a node's effective state as the checks read it.
type env struct {
	role string
	// args are each component's effective arguments (flag without dashes
	// -> value) and where each came from.
	args   map[string]map[string]string
	origin map[string]map[string]string
	// tightened: the k3s-permissions step removes group/other access under
	// /etc/rancher and /var/lib/rancher; rootOwned: k3s runs as root.
	tightened, rootOwned bool
	encryption           bool
}

func newEnv(n NodeRendering) *env {
	e := &env{role: n.Role, args: map[string]map[string]string{}, origin: map[string]map[string]string{}}
	set := func(comp, k, v, from string) {
		if e.args[comp] == nil {
			e.args[comp], e.origin[comp] = map[string]string{}, map[string]string{}
		}
		e.args[comp][k], e.origin[comp][k] = v, from
	}
	for comp, m := range k3sDefaultArgs {
		if n.Role != k3s.RoleServer && comp != "kubelet" && comp != "kube-proxy" {
			continue
		}
		for k, v := range m {
			set(comp, k, v, "k3s default")
		}
	}
	c := n.Config
	if c != nil {
		rendered := map[string][]string{
			"kube-apiserver": c.KubeAPIServerArg, "kube-controller-manager": c.KubeControllerManagerArg,
			"kubelet": c.KubeletArg, "kube-proxy": c.KubeProxyArg,
		}
		key := map[string]string{
			"kube-apiserver": "kube-apiserver-arg", "kube-controller-manager": "kube-controller-manager-arg",
			"kubelet": "kubelet-arg", "kube-proxy": "kube-proxy-arg",
		}
		for comp, list := range rendered {
			for _, a := range list {
				k, v, _ := strings.Cut(a, "=")
				set(comp, k, v, "config.yaml "+key[comp])
			}
		}
		if c.SecretsEncryption && n.Role == k3s.RoleServer {
			e.encryption = true
			set("kube-apiserver", "encryption-provider-config", k3sEncryptionConfigPath, "k3s default with config.yaml secrets-encryption")
		}
	}
	for _, s := range n.Steps {
		if s.Name == k3s.StepPermissions && strings.Contains(s.Script, "tighten_rancher") &&
			strings.Contains(s.Script, "find /etc/rancher /var/lib/rancher") && strings.Contains(s.Script, "chmod go=") {
			e.tightened = true
		}
	}
	e.rootOwned = strings.Contains(string(n.Unit), "\nUser=root\n")
	return e
}

func (e *env) expect(c Check) (Outcome, string) {
	switch c.Type {
	case TypeManual:
		return ExpectManual, "kube-bench marks it manual (WARN)"
	case TypeSkip:
		return ExpectNotApplicable, "kube-bench skips it for k3s (INFO)"
	}
	if len(c.Tests) == 0 {
		return ExpectManual, "no test defined upstream (WARN)"
	}
	var comp string
	var files []string
	for _, a := range c.Audits {
		kind, what, _ := strings.Cut(a, ":")
		switch kind {
		case "journal":
			if comp == "" {
				comp = what
			}
		case "file":
			files = append(files, what)
		case "etcd-config":
			return e.expectEtcd(c)
		case "kubectl":
			return ExpectReview, "audits cluster objects with kubectl; see the policy pack cross-reference"
		}
	}
	switch {
	case comp != "":
		return e.expectArgs(c, comp)
	case len(files) > 0:
		return e.expectFiles(c, files)
	}
	return ExpectReview, "audit not modelled"
}

// expectArgs evaluates the tests against a component's effective arguments.
func (e *env) expectArgs(c Check, comp string) (Outcome, string) {
	args, origin := e.args[comp], e.origin[comp]
	if args == nil {
		if c.Fallback == "" {
			return ExpectReview, comp + " does not run on a " + e.role
		}
		k, v, _ := strings.Cut(strings.TrimPrefix(c.Fallback, "--"), "=")
		args, origin = map[string]string{k: v}, map[string]string{k: "the audit's fallback without " + comp}
	}
	if comp == "kubelet" {
		for _, t := range c.Tests {
			if unmodelledKubeletFlags[t.Flag] {
				if _, ours := origin[strings.TrimPrefix(t.Flag, "--")]; !ours {
					return ExpectReview, "kubelet " + t.Flag + ": k3s sets it on the command line or in its generated kubelet config depending on the release"
				}
			}
		}
	}
	lookup := func(t Test) (string, bool, string) {
		name := strings.TrimPrefix(t.Flag, "--")
		if name == "provider" && comp == "kube-apiserver" {
			if e.encryption {
				return k3sEncryptionProvider, true, "k3s default encryption provider"
			}
			return "", false, ""
		}
		v, ok := args[name]
		return v, ok, origin[name]
	}
	return combine(c, comp, lookup)
}

func (e *env) expectEtcd(c Check) (Outcome, string) {
	if e.role != k3s.RoleServer {
		return ExpectReview, "no etcd on an agent"
	}
	lookup := func(t Test) (string, bool, string) {
		key := strings.TrimSuffix(strings.TrimPrefix(t.Path, "{."), "}")
		v, ok := k3sEtcdConfig[key]
		return v, ok, "k3s embedded etcd"
	}
	return combine(c, "etcd config", lookup)
}

func (e *env) expectFiles(c Check, files []string) (Outcome, string) {
	for _, f := range files {
		p := f
		if strings.HasPrefix(f, "$") {
			var ok bool
			if p, ok = benchVariables[f]; !ok {
				return ExpectReview, "file variable " + f + " not resolved here"
			}
		}
		under := strings.HasPrefix(p, "/var/lib/rancher/") || strings.HasPrefix(p, "/etc/rancher/")
		if !under || strings.Contains(p, "containerd") || strings.HasPrefix(p, "/var/lib/rancher/k3s/storage") {
			return ExpectReview, p + " is outside the trees the k3s-permissions step tightens"
		}
	}
	for _, t := range c.Tests {
		switch {
		case t.Flag == "permissions" && t.Op == "bitmask":
			if !e.tightened {
				return ExpectFail, "no k3s-permissions step removes group/other access"
			}
			if t.Value != "600" && t.Value != "700" && t.Value != "644" {
				return ExpectReview, "bitmask " + t.Value + " not modelled"
			}
		case t.Flag == "root:root" || t.Value == "root:root":
			if !e.rootOwned {
				return ExpectFail, "the k3s unit does not run k3s as root, so its files are not root:root"
			}
		default:
			return ExpectReview, "file test " + t.Flag + " not modelled"
		}
	}
	return ExpectPass, "k3s (User=root in the rendered unit) creates it owner-only or the k3s-permissions step makes it so (chmod go=)"
}

// combine evaluates the check's tests with lookup and explains the result.
func combine(c Check, comp string, lookup func(Test) (string, bool, string)) (Outcome, string) {
	or := c.BinOp == "or"
	var reasons []string
	result := !or
	for _, t := range c.Tests {
		v, present, from := lookup(t)
		ok := testItem(t, v, present)
		name := t.Flag
		if name == "" {
			name = t.Path
		}
		desc := fmt.Sprintf("%s %s", comp, name)
		if present {
			desc += "=" + v + " (" + from + ")"
		} else {
			desc += " not set"
		}
		if or && ok {
			return ExpectPass, desc
		}
		if !or && !ok {
			return ExpectFail, desc + "; the test wants " + want(t) + choice(t)
		}
		reasons = append(reasons, desc)
	}
	if or {
		return ExpectFail, strings.Join(reasons, "; ") + "; the test wants " + want(c.Tests[0]) + choice(c.Tests[0])
	}
	if result {
		return ExpectPass, strings.Join(reasons, "; ")
	}
	return ExpectFail, strings.Join(reasons, "; ")
}

// programChoices say why the program leaves a tested setting as it is,
// by the flag (or flag and wanted value) a failing test names.
var programChoices = map[string]string{
	"--enable-admission-plugins AlwaysPullImages":       "AlwaysPullImages breaks nodes that run from pre-loaded (air-gap) images; components/k3s/README.md",
	"--enable-admission-plugins DenyServiceExternalIPs": "not enabled by the program; an operator who uses no Service externalIPs can add it (kube-apiserver-arg)",
	"--request-timeout": "CIS makes it conditional (only if needed); the API server's 60 s default is kept; components/k3s/README.md",
	"--pod-max-pids":    "a per-pod PID limit has to fit the workloads; left to the operator (kubelet-arg)",
	"--event-qps":       "the kubelet's default event rate limit is kept; this benchmark version wants 0 (unlimited), later ones accept the default",
	"--enable-admission-plugins EventRateLimit": "EventRateLimit needs the admission config file the program renders from k3s 1.25 (Pod Security Admission) on",
}

func choice(t Test) string {
	if r, ok := programChoices[t.Flag+" "+t.Value]; ok {
		return " (" + r + ")"
	}
	if r, ok := programChoices[t.Flag]; ok {
		return " (" + r + ")"
	}
	return ""
}

func want(t Test) string {
	switch {
	case t.Set != nil && !*t.Set:
		return "it unset"
	case t.Op != "":
		return t.Op + " " + t.Value
	}
	return "it set"
}

// testItem is kube-bench's comparison of one test item (check/test.go).
func testItem(t Test, v string, present bool) bool {
	if t.Set != nil && !*t.Set {
		return !present
	}
	if !present {
		return false
	}
	if t.Op == "" {
		return true
	}
	// eq and noteq compare booleans case-insensitively, anything else exactly.
	equal := v == t.Value
	if l := strings.ToLower(v); l == "true" || l == "false" {
		equal = l == t.Value
	}
	switch t.Op {
	case "eq":
		return equal
	case "noteq":
		return !equal
	case "noteqx":
		return v != t.Value
	case "has":
		return strings.Contains(v, t.Value)
	case "nothave":
		return !strings.Contains(v, t.Value)
	case "gt", "gte", "lt", "lte":
		a, err1 := strconv.Atoi(v)
		b, err2 := strconv.Atoi(t.Value)
		if err1 != nil || err2 != nil {
			return false
		}
		switch t.Op {
		case "gt":
			return a > b
		case "gte":
			return a >= b
		case "lt":
			return a < b
		}
		return a <= b
	case "valid_elements":
		allowed := map[string]bool{}
		for _, s := range strings.Split(t.Value, ",") {
			allowed[strings.TrimSpace(s)] = true
		}
		for _, s := range strings.Split(v, ",") {
			if !allowed[strings.TrimSpace(s)] {
				return false
			}
		}
		return true
	}
	return false
}

// Counts tallies expectations by outcome.
func Counts(es []Expectation) map[Outcome]int {
	m := map[Outcome]int{}
	for _, e := range es {
		m[e.Outcome]++
	}
	return m
}

// IDs returns the check ids with an outcome, in benchmark order.
func IDs(es []Expectation, o Outcome) []string {
	var ids []string
	for _, e := range es {
		if e.Outcome == o {
			ids = append(ids, e.ID)
		}
	}
	return ids
}

// RenderTSV renders expectations as out/<stack>/cis-expectation.tsv rows:
// node, role, benchmark, check, target, outcome, reason.
func RenderTSV(benchmark string, nodes []NodeExpectation) []byte {
	var b strings.Builder
	b.WriteString("node\trole\tbenchmark\tcheck\ttarget\texpect\treason\n")
	sorted := append([]NodeExpectation(nil), nodes...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Node < sorted[j].Node })
	for _, n := range sorted {
		for _, e := range n.Checks {
			fmt.Fprintf(&b, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", n.Node, n.Role, benchmark, e.ID, e.Target, e.Outcome, strings.ReplaceAll(e.Reason, "\t", " "))
		}
	}
	return []byte(b.String())
}

// NodeExpectation is one node's expectations.
type NodeExpectation struct {
	Node, Role string
	Checks     []Expectation
}
