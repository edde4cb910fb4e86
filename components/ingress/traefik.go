package ingress

import (
	"fmt"

	"k3s-onprem/components/podsecurity"
	"k3s-onprem/internal/namespaces"
)

// The Traefik chart (traefik/traefik-helm-chart v41.3.0: Traefik v3.7.11,
// kubeVersion >= 1.25). Facts: internal/upstream/facts/helm-traefik-41.3.0.json.
var traefikChart = Chart{Name: "traefik", Version: "41.3.0", Repo: "https://traefik.github.io/charts", AppVersion: "v3.7.11"}

// TraefikMinMinor is the oldest Kubernetes minor the Traefik
// implementation runs on: the Gateway API standard install it needs
// carries a ValidatingAdmissionPolicy (admissionregistration.k8s.io/v1,
// served from 1.30), and the chart refuses PodSecurityPolicy clusters
// (kubeVersion >= 1.25).
const TraefikMinMinor = 30

// TraefikGatewayController is the controllerName Traefik's Gateway
// provider claims (the chart's templates/gatewayclass.yaml); it is fixed,
// so two Traefik releases tell their GatewayClasses apart by label.
const TraefikGatewayController = "traefik.io/gateway-controller"

// GatewayClassLabel marks a GatewayClass with the Traefik release that
// serves it; each release's providers.kubernetesGateway.labelSelector
// selects only its own.
const GatewayClassLabel = "k3s-onprem.io/gateway-controller"

// traefikUID is the chart's default non-root user (podSecurityContext).
const traefikUID = 65532

type traefik struct{}

func (traefik) chart(int) Chart { return traefikChart }

func (traefik) release(c Controller) string { return namespaces.TraefikNamespace(c.Name) }

// check refuses clusters the implementation cannot run on.
func (traefik) check(cfg Config) error {
	if cfg.PSP || cfg.KubeMinor < TraefikMinMinor {
		return fmt.Errorf("ingress implementation %s needs Kubernetes >= 1.%d (Gateway API %s standard install) without PodSecurityPolicy; this cluster is 1.%d",
			KindTraefik, TraefikMinMinor, GatewayAPIVersion, cfg.KubeMinor)
	}
	return nil
}

// values: only the Gateway API provider, limited to this release's
// GatewayClass by label; the chart's own GatewayClass, Gateway and
// IngressClass off (the component renders typed ones); Ingress and
// Traefik-CRD providers off, so two releases never claim the same
// object; no dashboard, no update check; a LoadBalancer Service on the
// controller's pool with externalTrafficPolicy Local; the chart's
// non-root, read-only, capability-free container stated explicitly so a
// chart default change cannot weaken it.
func (t traefik) values(c Controller, _ Config) map[string]any {
	rel := t.release(c)
	return map[string]any{
		"deployment": map[string]any{"replicas": c.Replicas},
		"providers": map[string]any{
			"kubernetesGateway": map[string]any{
				"enabled":       true,
				"labelSelector": GatewayClassLabel + "=" + rel,
				"statusAddress": map[string]any{"service": map[string]any{"enabled": true}},
			},
			"kubernetesIngress": map[string]any{"enabled": false},
			"kubernetesCRD":     map[string]any{"enabled": false},
		},
		"gateway":      map[string]any{"enabled": false},
		"gatewayClass": map[string]any{"enabled": false},
		"ingressClass": map[string]any{"enabled": false},
		"api":          map[string]any{"dashboard": false},
		"global":       map[string]any{"checkNewVersion": false, "sendAnonymousUsage": false},
		"ports": map[string]any{
			"web":       map[string]any{"port": namespaces.TraefikWebPort, "exposedPort": 80},
			"websecure": map[string]any{"port": namespaces.TraefikWebsecurePort, "exposedPort": 443},
			"metrics":   map[string]any{"port": namespaces.TraefikMetricsPort},
		},
		"service": map[string]any{
			"annotations": serviceAnnotations(c),
			"spec":        map[string]any{"type": "LoadBalancer", "externalTrafficPolicy": "Local"},
		},
		"securityContext": map[string]any{
			"allowPrivilegeEscalation": false,
			"capabilities":             map[string]any{"drop": []any{"ALL"}},
			"readOnlyRootFilesystem":   true,
		},
		"podSecurityContext": map[string]any{
			"runAsNonRoot":   true,
			"runAsUser":      traefikUID,
			"runAsGroup":     traefikUID,
			"seccompProfile": map[string]any{"type": "RuntimeDefault"},
		},
	}
}

func (traefik) namespace(c Controller) podsecurity.Namespace { return namespaces.Traefik(c.Name) }
