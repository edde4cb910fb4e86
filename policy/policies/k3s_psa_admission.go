package policies

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
	"sort"
	"strings"
)

// k3s-psa-admission: Pod Security Admission is the cluster's only pod-level
// control from 1.25 (PodSecurityPolicy is gone). The AdmissionConfiguration
// sets the level for every namespace that does not label its own, and its
// exemptions switch admission off entirely for a namespace, so each one has
// to be one the stack justifies.
var _ = register(resourceRule{
	name:  "k3s-psa-admission",
	order: 90,
	level: policyx.EnforcementLevelMandatory,
	cis:   "Kubernetes CIS 5.2.1 (k3s >= 1.25)",
	what:  "servers pass `admission-control-config-file` and do not disable `PodSecurity`; the AdmissionConfiguration enforces `restricted` by default and exempts only kube-system and `podSecurity.exemptNamespaces` entries with a reason, no users or runtime classes",
	check: func(c *resourceCheck) {
		if c.env.PSP {
			return
		}
		if doc, f, ok := k8sDoc(c.r, "apiserver.config.k8s.io", "AdmissionConfiguration"); ok {
			checkAdmissionConfig(c, doc, f)
			return
		}
		k, ok := asK3sConfig(c.r)
		if !ok || !k.server {
			return
		}
		a := k.args("kube-apiserver")
		if v, set := a.get("admission-control-config-file"); (set && v == "") || (!set && a.full) {
			c.report("%s does not pass kube-apiserver-arg admission-control-config-file: the components/k3s renderer points it at the Pod Security config; do not replace kube-apiserver-arg without it", k.where())
		}
		if v, set := a.get("disable-admission-plugins"); set {
			for _, p := range strings.Split(v, ",") {
				if strings.TrimSpace(p) == "PodSecurity" {
					c.report("%s disables the PodSecurity admission plugin: remove it from disable-admission-plugins", k.where())
				}
			}
		}
	},
})

// checkAdmissionConfig judges the PodSecurity plugin's configuration.
func checkAdmissionConfig(c *resourceCheck, doc map[string]any, f hostFile) {
	where := f.path + " on " + f.host
	plugins, _ := doc["plugins"].([]any)
	for _, p := range plugins {
		pm, _ := p.(map[string]any)
		if pm["name"] != "PodSecurity" {
			continue
		}
		cfg, ok := pm["configuration"].(map[string]any)
		if !ok {
			c.report("%s configures PodSecurity through a separate path: inline the PodSecurityConfiguration so it can be checked (components/k3s RenderAdmissionConfig)", where)
			return
		}
		defaults, _ := cfg["defaults"].(map[string]any)
		if enforce, _ := defaults["enforce"].(string); enforce != psaRestricted {
			c.report("%s: PodSecurity defaults enforce %q: set podSecurity.enforce to restricted (namespaces that need less label themselves, with a reason)", where, enforce)
		}
		exemptions, _ := cfg["exemptions"].(map[string]any)
		namespaces, _ := exemptions["namespaces"].([]any)
		var unjustified []string
		for _, n := range namespaces {
			ns, _ := n.(string)
			if _, ok := c.env.Exempt[ns]; !ok {
				unjustified = append(unjustified, ns)
			}
		}
		sort.Strings(unjustified)
		if len(unjustified) > 0 {
			c.report("%s exempts %s from Pod Security without a reason in the stack: add each to podSecurity.exemptNamespaces with a reason, or drop the exemption and label the namespace instead",
				where, strings.Join(unjustified, ", "))
		}
		for _, key := range []string{"usernames", "runtimeClasses"} {
			if list, _ := exemptions[key].([]any); len(list) > 0 {
				c.report("%s exempts %s from Pod Security: remove exemptions.%s; exemptions are per namespace, with a reason", where, key, key)
			}
		}
		return
	}
	c.report("%s has no PodSecurity plugin configuration: the components/k3s renderer adds it for k3s >= 1.25", where)
}
