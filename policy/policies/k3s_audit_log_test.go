package policies

import "testing"

var _ = casesFor("k3s-audit-log", func(t *testing.T) []policyCase {
	const auditPolicy = "/var/lib/rancher/k3s/server/audit.yaml"
	const good = "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: None\n  resources: [{group: coordination.k8s.io, resources: [leases]}]\n- level: Metadata\n"
	const none = "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: None\n"
	return append(k3sCases(t, []string{"audit"},
		k3sCase{desc: "hardened server", parent: serverParent, text: hardenedServer},
		k3sCase{desc: "agents are not judged", parent: agentParent, text: hardenedAgent},
		k3sCase{desc: "maxage too short", parent: serverParent, text: edit(t, hardenedServer, "audit-log-maxage=30", "audit-log-maxage=7"), n: 1},
		k3sCase{desc: "maxbackup too few", parent: serverParent, text: edit(t, hardenedServer, "audit-log-maxbackup=10", "audit-log-maxbackup=3"), n: 1},
		k3sCase{desc: "maxsize too small", parent: serverParent, text: edit(t, hardenedServer, "audit-log-maxsize=100", "audit-log-maxsize=10"), n: 1},
		k3sCase{desc: "no audit policy", parent: serverParent, text: edit(t, hardenedServer, "- audit-policy-file=/var/lib/rancher/k3s/server/audit.yaml\n", ""), n: 1},
		k3sCase{desc: "no audit log path", parent: serverParent, text: edit(t, hardenedServer, "- audit-log-path=/var/lib/rancher/k3s/server/logs/audit.log\n", ""), n: 1},
		k3sCase{desc: "drop-in appends a weaker retention", parent: serverParent, path: dropIn, text: "kube-apiserver-arg+:\n- audit-log-maxage=1\n", n: 1},
		k3sCase{desc: "drop-in replaces the list without audit flags", parent: serverParent, path: dropIn, text: "kube-apiserver-arg:\n- audit-log-maxage=30\n", n: 4},
	),
		policyCase{desc: "audit policy file logs metadata", r: copyFile(t, serverParent, auditPolicy, good)},
		policyCase{desc: "audit policy file logs nothing", r: copyFile(t, serverParent, auditPolicy, none), n: 1, contains: []string{"logs nothing"}},
	)
})
