package policies

import (
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
)

// podSpecPaths maps pulumi-kubernetes workload type tokens to the path of
// their pod spec. Patch resources (e.g. DeploymentPatch) share the shape
// and can turn a compliant object into a privileged one, so they count too.
var podSpecPaths = map[string][]string{
	"kubernetes:core/v1:Pod":                   {"spec"},
	"kubernetes:core/v1:PodTemplate":           {"template", "spec"},
	"kubernetes:core/v1:ReplicationController": {"spec", "template", "spec"},
	"kubernetes:apps/v1:Deployment":            {"spec", "template", "spec"},
	"kubernetes:apps/v1:DaemonSet":             {"spec", "template", "spec"},
	"kubernetes:apps/v1:StatefulSet":           {"spec", "template", "spec"},
	"kubernetes:apps/v1:ReplicaSet":            {"spec", "template", "spec"},
	"kubernetes:batch/v1:Job":                  {"spec", "template", "spec"},
	"kubernetes:batch/v1:CronJob":              {"spec", "jobTemplate", "spec", "template", "spec"},
}

// workload is a pod-carrying object: its kind/name for messages, its
// namespace and its pod spec.
type workload struct {
	ref       string
	namespace val
	spec      property.Map
}

// asWorkload returns the resource's pod spec when it is a workload whose
// spec is known.
func asWorkload(r policyx.AnalyzerResource) (workload, bool) {
	p, ok := podSpecPaths[strings.TrimSuffix(r.Type, "Patch")]
	if !ok {
		return workload{}, false
	}
	spec, ok := at(r.Properties, p...).Map()
	if !ok {
		return workload{}, false
	}
	kind := r.Type[strings.LastIndex(r.Type, ":")+1:]
	name, _ := at(r.Properties, "metadata", "name").Str()
	if name == "" {
		name = r.Name
	}
	ns := at(r.Properties, "metadata", "namespace")
	if ns.Missing() {
		// The provider puts namespace-less objects into "default".
		ns = wrap(property.New("default"))
	}
	return workload{ref: kind + " " + name, namespace: ns, spec: spec}, true
}

// container is one container of a pod spec with its list name.
type container struct {
	name string
	m    property.Map
}

// containers returns every container, init container and ephemeral
// container whose definition is known.
func (w workload) containers() []container {
	var out []container
	for _, list := range []string{"containers", "initContainers", "ephemeralContainers"} {
		items, _ := at(w.spec, list).Items()
		for i, it := range items {
			m, ok := wrap(it).Map()
			if !ok {
				continue
			}
			name, _ := at(m, "name").Str()
			if name == "" {
				name = list + "[" + itoa(i) + "]"
			}
			out = append(out, container{name: name, m: m})
		}
	}
	return out
}

// exemptAdvice is the common end of workload messages.
const exemptAdvice = "or, if the workload truly needs it, give its namespace " + psaEnforceLabel + "=privileged with a reason (annotation " + psaReasonAnnotation + " on the Namespace, or podSecurity.exemptNamespaces)"

// workloadCheck judges one workload at its namespace's Pod Security level
// and returns the problems, each a sentence ending before exemptAdvice.
type workloadCheck func(w workload, level string) []string

// workloadRule completes a stack rule declaration with a per-workload check. These checks
// need the whole stack because what a pod may do depends on its namespace's
// Pod Security level, which the Namespace resource (or the stack config)
// declares; the policy predicts at preview what admission would reject at
// apply time, in the middle of a half-applied Helm release.
func workloadRule(s stackRule, check workloadCheck) stackRule {
	s.check = func(c *stackCheck) {
		levels := c.namespaceLevels()
		for _, r := range c.resources {
			ws := hostFileWorkloads(r)
			if w, ok := asWorkload(r); ok {
				ws = append(ws, w)
			}
			for _, w := range ws {
				if w.namespace.Unknown() {
					continue
				}
				ns, _ := w.namespace.Str()
				level := levels.of(ns)
				if level == psaPrivileged || level == "" {
					continue
				}
				for _, p := range check(w, level) {
					c.report(r.URN, "%s (namespace %s enforces %s), %s", p, ns, level, exemptAdvice)
				}
			}
		}
	}
	return s
}
