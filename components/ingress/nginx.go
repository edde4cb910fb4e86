package ingress

import (
	"k3s-onprem/components/podsecurity"
	"k3s-onprem/internal/namespaces"
)

// ingress-nginx charts. 4.15.1 (controller v1.15.1, March 2026) is the
// project's final release. Clusters on Kubernetes <= 1.24 (the PSP path)
// get 4.7.5 (controller v1.8.5), the last line that supports 1.24.
var (
	nginxChart    = Chart{Name: "ingress-nginx", Version: "4.15.1", Repo: nginxRepo, AppVersion: "v1.15.1"}
	nginxChartPSP = Chart{Name: "ingress-nginx", Version: "4.7.5", Repo: nginxRepo, AppVersion: "v1.8.5"}
)

// nginxLastMinor is the last Kubernetes minor that gets nginxChartPSP.
const nginxLastMinor = 24

const nginxRepo = "https://kubernetes.github.io/ingress-nginx"

// nginxUID is the image's www-data user; the chart says not to change it.
const (
	nginxUID = 101
	nginxGID = 82
)

type ingressNginx struct{}

func (ingressNginx) chart(minor int) Chart {
	if minor <= nginxLastMinor {
		return nginxChartPSP
	}
	return nginxChart
}

// release is ingress-nginx for the external controller (the chart's own
// naming) and ingress-nginx-<name> for the others.
func (ingressNginx) release(c Controller) string { return namespaces.IngressNginxNamespace(c.Name) }

// values: its own IngressClass and controller value (so two controllers
// never claim each other's Ingresses), a LoadBalancer Service on the
// controller's pool with externalTrafficPolicy Local (client addresses
// reach nginx, and MetalLB announces only from nodes running a replica),
// no snippet annotations (the injection class behind CVE-2025-1974), and a
// non-root container whose only capability is NET_BIND_SERVICE.
func (n ingressNginx) values(c Controller, cfg Config) map[string]any {
	rel := n.release(c)
	sc := map[string]any{
		"runAsNonRoot": true,
		"runAsUser":    nginxUID,
		// Controllers from v1.9 bind 80/443 without privilege
		// escalation; v1.8.5 (the PSP path) still needs it for the file
		// capability on its nginx binary, which net-bind-service-psp allows.
		"allowPrivilegeEscalation": cfg.PSP,
		"capabilities":             map[string]any{"drop": []any{"ALL"}, "add": []any{"NET_BIND_SERVICE"}},
		"readOnlyRootFilesystem":   false,
	}
	if !cfg.PSP {
		sc["runAsGroup"] = nginxGID
		sc["seccompProfile"] = map[string]any{"type": "RuntimeDefault"}
	}
	return map[string]any{
		"controller": map[string]any{
			"replicaCount": c.Replicas,
			"ingressClass": c.ClassName,
			"ingressClassResource": map[string]any{
				"name": c.ClassName, "enabled": true, "default": false, "controllerValue": "k8s.io/" + rel,
			},
			"electionID":               rel + "-leader",
			"watchIngressWithoutClass": false,
			"allowSnippetAnnotations":  false,
			"containerSecurityContext": sc,
			"service": map[string]any{
				"type":                  "LoadBalancer",
				"externalTrafficPolicy": "Local",
				"annotations":           serviceAnnotations(c),
			},
			"admissionWebhooks": map[string]any{"enabled": true},
		},
		"defaultBackend": map[string]any{"enabled": false},
	}
}

// check: ingress-nginx has a chart for every minor the stacks accept.
func (ingressNginx) check(Config) error { return nil }

// namespace is the controller's declaration in the namespace registry.
func (ingressNginx) namespace(c Controller) podsecurity.Namespace {
	return namespaces.IngressNginx(c.Name)
}
