// Package ingress installs the ingress controllers: an external one
// (IngressClass nginx) on the external MetalLB pool and an internal one on
// the internal pool, each from a pinned Helm chart, in its own namespace,
// with a fixed address when one is configured.
//
// What a controller is made of is behind the small implementation
// interface below, with two entries: ingress-nginx (the blog's; retired
// upstream in March 2026, see README.md) and Traefik, a Gateway API
// implementation whose GatewayClass and Gateway gateway.go renders.
package ingress

import (
	"fmt"
	"sort"

	"k3s-onprem/components/podsecurity"
	"k3s-onprem/internal/chartsource"
	"k3s-onprem/internal/namespaces"
)

// Controller kinds (stack key ingress.implementation).
const (
	KindIngressNginx = namespaces.IngressKindNginx
	KindTraefik      = namespaces.IngressKindTraefik
)

// MetalLB Service annotations under the current metallb.io/ prefix: the
// controllers of MetalLB 0.15.2 and 0.16.0 (controller/service.go) read
// these first and keep metallb.universe.tf/ only as a deprecated fallback.
const (
	AnnotationAddressPool = "metallb.io/address-pool"
	AnnotationIPs         = "metallb.io/loadBalancerIPs"
)

// Controller is one ingress controller.
type Controller struct {
	// Name is external or internal; it names the namespace and release.
	Name string
	// Kind selects the implementation (KindIngressNginx).
	Kind string
	// ClassName is the IngressClass users put in spec.ingressClassName.
	ClassName string
	// Pool is the MetalLB pool the controller's Service takes its address from.
	Pool string
	// LoadBalancerIP, when set, is the fixed address from Pool.
	LoadBalancerIP string
	Replicas       int
}

// Config is the pure input of the component.
type Config struct {
	// KubeMinor picks the chart version a cluster can run.
	KubeMinor int
	// PSP is true on k3s <= 1.24 (PodSecurityPolicy instead of PSA).
	PSP         bool
	Controllers []Controller
}

// Chart is a pinned Helm chart.
type Chart struct {
	Name, Version, Repo string
	// AppVersion is what the chart installs, for the README and outputs.
	AppVersion string
}

// Pinned is the chart's name, version and upstream repository.
func (c Chart) Pinned() chartsource.Pinned {
	return chartsource.Pinned{Name: c.Name, Version: c.Version, Repo: c.Repo}
}

// ChartFor is the chart the ingress-nginx controllers install on a
// Kubernetes minor.
func ChartFor(kubeMinor int) Chart { return ingressNginx{}.chart(kubeMinor) }

// TraefikChart is the chart the Traefik controllers install.
func TraefikChart() Chart { return traefikChart }

// Kinds are the implementations, sorted.
func Kinds() []string {
	out := make([]string, 0, len(implementations))
	for k := range implementations {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Release is everything the component installs for one controller.
type Release struct {
	Controller Controller
	Namespace  string
	Name       string
	Chart      Chart
	Values     map[string]any
	// SkipCRDs leaves out the chart's own CRDs: Traefik's (traefik.io,
	// hub.traefik.io) serve only the providers this program turns off.
	SkipCRDs bool
}

// implementation is what one controller kind must provide; all of it is
// pure data, so tests and the offline render see what Pulumi installs.
type implementation interface {
	chart(kubeMinor int) Chart
	// release names the namespace and Helm release of a controller.
	release(c Controller) string
	values(c Controller, cfg Config) map[string]any
	namespace(c Controller) podsecurity.Namespace
	// check refuses a cluster the implementation cannot run on.
	check(cfg Config) error
}

var implementations = map[string]implementation{
	KindIngressNginx: ingressNginx{},
	KindTraefik:      traefik{},
}

func impl(c Controller) (implementation, error) {
	kind := c.Kind
	if kind == "" {
		kind = KindIngressNginx
	}
	i, ok := implementations[kind]
	if !ok {
		return nil, fmt.Errorf("ingress %s: unknown controller kind %q", c.Name, c.Kind)
	}
	return i, nil
}

// Releases renders every controller's release.
func Releases(cfg Config) ([]Release, error) {
	var out []Release
	classes, names := map[string]bool{}, map[string]bool{}
	for _, c := range cfg.Controllers {
		i, err := impl(c)
		if err != nil {
			return nil, err
		}
		switch {
		case c.Name == "" || c.ClassName == "" || c.Pool == "":
			return nil, fmt.Errorf("ingress %q: needs a name, a class and a pool", c.Name)
		case c.Replicas < 1:
			return nil, fmt.Errorf("ingress %s: replicas %d", c.Name, c.Replicas)
		case classes[c.ClassName] || names[c.Name]:
			return nil, fmt.Errorf("ingress %s: name or class %s used twice", c.Name, c.ClassName)
		}
		if err := i.check(cfg); err != nil {
			return nil, fmt.Errorf("ingress %s: %w", c.Name, err)
		}
		classes[c.ClassName], names[c.Name] = true, true
		rel := i.release(c)
		out = append(out, Release{Controller: c, Namespace: rel, Name: rel, Chart: i.chart(cfg.KubeMinor), Values: i.values(c, cfg), SkipCRDs: c.Kind == KindTraefik})
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Name < out[b].Name })
	return out, nil
}

// Namespaces declares each controller's namespace to the pod security layer.
func Namespaces(cfg Config) ([]podsecurity.Namespace, error) {
	var out []podsecurity.Namespace
	for _, c := range cfg.Controllers {
		i, err := impl(c)
		if err != nil {
			return nil, err
		}
		out = append(out, i.namespace(c))
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Name < out[b].Name })
	return out, nil
}

// serviceAnnotations ask MetalLB for an address from the controller's pool,
// and for the fixed one when configured.
func serviceAnnotations(c Controller) map[string]any {
	a := map[string]any{AnnotationAddressPool: c.Pool}
	if c.LoadBalancerIP != "" {
		a[AnnotationIPs] = c.LoadBalancerIP
	}
	return a
}
