package k3s

import (
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
	"sigs.k8s.io/yaml"
)

// writeVerbs change state; reads are logged at Metadata only, so list
// responses (whole pod lists) never bloat the log.
var writeVerbs = []string{"create", "update", "patch", "delete", "deletecollection"}

// AuditPolicy is the API server's audit policy (audit.k8s.io/v1; v1beta1 was
// removed in 1.24). Rules match first-wins, so the order is: drop noise,
// never log bodies of secret-bearing objects, full bodies for security
// relevant writes, request bodies for other writes, metadata for the rest.
// Fixed from the Ansible policy: deployments are in the apps group (not the
// core group, where the rule matched nothing), the policy is passed on every
// server (not only with Falco), and there is no v1beta1.
func AuditPolicy() auditv1.Policy {
	core := func(resources ...string) auditv1.GroupResources {
		return auditv1.GroupResources{Group: "", Resources: resources}
	}
	group := func(g string, resources ...string) auditv1.GroupResources {
		return auditv1.GroupResources{Group: g, Resources: resources}
	}
	p := auditv1.Policy{
		ObjectMeta: metav1.ObjectMeta{Name: "k3s-onprem"},
		// RequestReceived duplicates ResponseComplete for every request.
		OmitStages: []auditv1.Stage{auditv1.StageRequestReceived},
		Rules: []auditv1.PolicyRule{
			// Health probes and discovery: high volume, no security value.
			{Level: auditv1.LevelNone, NonResourceURLs: []string{"/healthz*", "/livez*", "/readyz*", "/version", "/version/", "/metrics", "/openapi/*", "/api", "/api/*", "/apis", "/apis/*"}},
			// Leader election and node heartbeats renew leases every few seconds.
			{Level: auditv1.LevelNone, Resources: []auditv1.GroupResources{group("coordination.k8s.io", "leases")}},
			// kube-proxy watches every Service and endpoint.
			{Level: auditv1.LevelNone, Users: []string{"system:kube-proxy"}, Verbs: []string{"watch"},
				Resources: []auditv1.GroupResources{core("endpoints", "services", "services/status"), group("discovery.k8s.io", "endpointslices")}},
			// Events are themselves a record; auditing them doubles the volume.
			{Level: auditv1.LevelNone, Resources: []auditv1.GroupResources{core("events"), group("events.k8s.io", "events")}},
			// Secret-bearing objects: who and when, never the content.
			{Level: auditv1.LevelMetadata, Resources: []auditv1.GroupResources{
				core("secrets", "configmaps", "serviceaccounts/token"),
				group("authentication.k8s.io", "tokenreviews"),
			}},
			// Interactive access to containers: the URI records the command.
			{Level: auditv1.LevelMetadata, Resources: []auditv1.GroupResources{core("pods/exec", "pods/attach", "pods/portforward", "pods/log", "pods/status", "nodes/proxy")}},
			// Workloads, RBAC, admission and network policy changes in full.
			{Level: auditv1.LevelRequestResponse, Verbs: writeVerbs, Resources: []auditv1.GroupResources{
				core("pods", "pods/ephemeralcontainers", "serviceaccounts", "namespaces"),
				group("apps", "deployments", "daemonsets", "statefulsets", "replicasets"),
				group("batch", "jobs", "cronjobs"),
				group("rbac.authorization.k8s.io"),
				group("admissionregistration.k8s.io"),
				group("networking.k8s.io", "networkpolicies"),
				group("policy"),
			}},
			// Other writes: the request body (what was asked for).
			{Level: auditv1.LevelRequest, Verbs: writeVerbs},
			// Reads: who read what.
			{Level: auditv1.LevelMetadata},
		},
	}
	p.APIVersion = "audit.k8s.io/v1"
	p.Kind = "Policy"
	return p
}

// RenderAuditPolicy renders AuditPolicy as YAML.
func RenderAuditPolicy() ([]byte, error) {
	b, err := yaml.Marshal(AuditPolicy())
	if err != nil {
		return nil, fmt.Errorf("render %s: %w", AuditPolicyPath, err)
	}
	return append([]byte("# Managed by k3s-onprem: API server audit policy.\n"), b...), nil
}
