package ingress

import (
	"fmt"
	"sort"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"k3s-onprem/internal/namespaces"
)

// GatewayObjects are what a Gateway API controller serves from: its
// GatewayClass (cluster-scoped) and the Gateway in the controller's
// namespace that app teams attach routes to.
type GatewayObjects struct {
	Controller Controller
	Class      gatewayv1.GatewayClass
	Gateway    gatewayv1.Gateway
}

// Gateway listener names: app teams put them in a route's
// parentRefs[].sectionName to pick one.
const (
	ListenerHTTP = "web"
)

// Gateways renders the GatewayClass and Gateway of every controller whose
// implementation speaks the Gateway API (Traefik); ingress-nginx
// controllers have none.
//
// Each class carries GatewayClassLabel=<release>, which only its own
// release selects, so the external and internal controllers never program
// each other's Gateways. The Gateway takes routes from every namespace
// (like an IngressClass, which any namespace may name) on one HTTP
// listener on Traefik's web entrypoint; its address is the controller's
// Service address, which Traefik copies into the Gateway's status.
func Gateways(cfg Config) ([]GatewayObjects, error) {
	var out []GatewayObjects
	for _, c := range cfg.Controllers {
		i, err := impl(c)
		if err != nil {
			return nil, err
		}
		t, ok := i.(traefik)
		if !ok {
			continue
		}
		if err := t.check(cfg); err != nil {
			return nil, fmt.Errorf("ingress %s: %w", c.Name, err)
		}
		rel := t.release(c)
		all := gatewayv1.NamespacesFromAll
		// The CRD caps the description at 64 bytes (the real API server
		// refused a longer one); the release name is the useful part.
		desc := "Traefik release " + rel
		out = append(out, GatewayObjects{
			Controller: c,
			Class: gatewayv1.GatewayClass{
				TypeMeta: metav1.TypeMeta{APIVersion: gatewayv1.GroupVersion.String(), Kind: "GatewayClass"},
				ObjectMeta: metav1.ObjectMeta{
					Name:   c.ClassName,
					Labels: map[string]string{GatewayClassLabel: rel},
				},
				Spec: gatewayv1.GatewayClassSpec{ControllerName: TraefikGatewayController, Description: &desc},
			},
			Gateway: gatewayv1.Gateway{
				TypeMeta:   metav1.TypeMeta{APIVersion: gatewayv1.GroupVersion.String(), Kind: "Gateway"},
				ObjectMeta: metav1.ObjectMeta{Name: c.ClassName, Namespace: namespaces.TraefikNamespace(c.Name)},
				Spec: gatewayv1.GatewaySpec{
					GatewayClassName: gatewayv1.ObjectName(c.ClassName),
					Listeners: []gatewayv1.Listener{{
						Name:          ListenerHTTP,
						Port:          namespaces.TraefikWebPort,
						Protocol:      gatewayv1.HTTPProtocolType,
						AllowedRoutes: &gatewayv1.AllowedRoutes{Namespaces: &gatewayv1.RouteNamespaces{From: &all}},
					}},
				},
			},
		})
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Controller.Name < out[b].Controller.Name })
	return out, nil
}
