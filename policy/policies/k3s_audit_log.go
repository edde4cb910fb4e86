package policies

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
	"strconv"
)

// Audit log retention minimums of the benchmark.
const (
	minAuditMaxAge    = 30
	minAuditMaxBackup = 10
	minAuditMaxSize   = 100
)

// k3s-audit-log: the audit log is the record of who did what to the cluster
// (and what Falco's k8saudit rules read); without a policy nothing is
// logged, and without retention an attacker's trail rotates away in hours.
var _ = register(resourceRule{
	name:  "k3s-audit-log",
	order: 80,
	level: policyx.EnforcementLevelMandatory,
	cis:   "k3s CIS 1.2.16-1.2.19, 3.2.1",
	what:  "servers pass `audit-policy-file`, `audit-log-path`, `audit-log-maxage>=30`, `audit-log-maxbackup>=10`, `audit-log-maxsize>=100`; the audit policy logs something above `None`",
	check: func(c *resourceCheck) {
		if doc, f, ok := k8sDoc(c.r, "audit.k8s.io", "Policy"); ok {
			checkAuditPolicy(c, doc, f)
			return
		}
		k, ok := asK3sConfig(c.r)
		if !ok || !k.server {
			return
		}
		a := k.args("kube-apiserver")
		for _, flag := range []string{"audit-policy-file", "audit-log-path"} {
			v, set := a.get(flag)
			if (set && v == "") || (!set && a.full) {
				c.report("%s does not pass kube-apiserver-arg %s: the components/k3s renderer sets it on servers; do not replace kube-apiserver-arg without it", k.where(), flag)
			}
		}
		for _, lim := range []struct {
			flag string
			min  int
		}{{"audit-log-maxage", minAuditMaxAge}, {"audit-log-maxbackup", minAuditMaxBackup}, {"audit-log-maxsize", minAuditMaxSize}} {
			v, set := a.get(lim.flag)
			if !set {
				if a.full {
					c.report("%s does not pass kube-apiserver-arg %s: set it to at least %d", k.where(), lim.flag, lim.min)
				}
				continue
			}
			if n, err := strconv.Atoi(v); err != nil || n < lim.min {
				c.report("%s sets %s=%s: use at least %d", k.where(), lim.flag, v, lim.min)
			}
		}
	},
})

// checkAuditPolicy requires an audit policy that records something: a rule
// list where at least one rule logs above None.
func checkAuditPolicy(c *resourceCheck, doc map[string]any, f hostFile) {
	rules, _ := doc["rules"].([]any)
	for _, r := range rules {
		m, _ := r.(map[string]any)
		if level, _ := m["level"].(string); level != "" && level != "None" {
			return
		}
	}
	c.report("audit policy %s on %s logs nothing: add rules that log at least Metadata for every request (components/k3s AuditPolicy)", f.path, f.host)
}
