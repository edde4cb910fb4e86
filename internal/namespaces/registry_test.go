package namespaces

import (
	"slices"
	"testing"
)

// selections are the stack shapes that change which namespaces exist.
var selections = map[string]Selection{
	"every":              Every,
	"nothing optional":   {},
	"falco host":         {Falco: true, Responder: true},
	"falco daemonset":    {Falco: true, FalcoDaemonSet: true},
	"internal only":      {LoadBalancer: true, IngressControllers: []string{ControllerInternal}},
	"responder, no lb":   {Responder: true, IngressControllers: []string{ControllerExternal}},
	"daemonset w/o lb":   {Falco: true, FalcoDaemonSet: true, Responder: true},
	"load balancer only": {LoadBalancer: true},
	"traefik":            {LoadBalancer: true, IngressControllers: []string{ControllerExternal, ControllerInternal}, IngressKinds: []string{IngressKindTraefik}},
}

// Each implementation declares one namespace per controller, none shared
// with another implementation's, so switching a stack's implementation
// never leaves one controller in the other's namespace.
func TestRegistry_IngressNamespacesPerKind(t *testing.T) {
	want := map[string][]string{
		IngressKindNginx:   {"ingress-nginx", "ingress-nginx-internal"},
		IngressKindTraefik: {"traefik", "traefik-internal"},
	}
	for _, kind := range Every.IngressKinds {
		var got []string
		for _, ns := range For(Selection{IngressControllers: Every.IngressControllers, IngressKinds: []string{kind}}) {
			got = append(got, ns.Name)
			if ns.Owner != "ingress" || ns.Enforce != Restricted || len(ns.Workloads) == 0 {
				t.Errorf("%s: %+v", ns.Name, ns)
			}
		}
		if !slices.Equal(got, want[kind]) {
			t.Errorf("%s: namespaces %v, want %v", kind, got, want[kind])
		}
	}
	if len(ingressNamespaces) != len(Every.IngressKinds) {
		t.Errorf("Every selects %v, the registry declares %d kinds", Every.IngressKinds, len(ingressNamespaces))
	}
}

func TestRegistry_DeclarationsAreValidAndUnique(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range Systems {
		seen[s.Name] = true
	}
	for _, ns := range For(Every) {
		if err := ns.Validate(); err != nil {
			t.Error(err)
		}
		if seen[ns.Name] {
			t.Errorf("namespace %s declared twice", ns.Name)
		}
		seen[ns.Name] = true
		if ns.Owner == "" {
			t.Errorf("namespace %s has no owner", ns.Name)
		}
		for _, w := range ns.Workloads {
			if !w.HostNetwork && len(w.Selector) == 0 {
				t.Errorf("namespace %s: workload %s selects no pods", ns.Name, w.Name)
			}
			if w.Why == "" {
				t.Errorf("namespace %s: workload %s does not say why it needs its traffic", ns.Name, w.Name)
			}
		}
	}
}

// The responder never acts in a namespace the program creates for itself,
// nor in a system namespace the registry protects, in any selection.
func TestRegistry_ResponderProtectsEveryProgramNamespace(t *testing.T) {
	for name, sel := range selections {
		protected := ResponderProtected(sel)
		for _, ns := range For(sel) {
			if ns.ResponderMayAct {
				t.Errorf("%s: the registry lets the responder act in %s, which the program creates for itself", name, ns.Name)
			}
			if !slices.Contains(protected, ns.Name) {
				t.Errorf("%s: %s is created but not protected", name, ns.Name)
			}
		}
		for _, s := range Systems {
			if slices.Contains(protected, s.Name) == s.ResponderMayAct {
				t.Errorf("%s: system namespace %s: protected=%v, ResponderMayAct=%v", name, s.Name, !s.ResponderMayAct, s.ResponderMayAct)
			}
		}
	}
	if slices.Contains(ResponderProtected(Every), "default") {
		t.Error("default is protected: the responder could never act on an attacked pod there")
	}
}

func TestRegistry_Derived(t *testing.T) {
	if got := ByOwner("falco"); !slices.Equal(got, []string{FalcoName, FalcoSensorsName}) {
		t.Errorf("falco owns %v", got)
	}
	if ex := PSAExemptions(); len(ex) != 1 || ex[0].Namespace != "kube-system" || ex[0].Reason == "" {
		t.Errorf("PSA exemptions %v: want kube-system only, with a reason", ex)
	}
	if got := ManagedSystems(); !slices.Equal(got, []string{"default", "kube-public", "kube-node-lease"}) {
		t.Errorf("managed systems %v", got)
	}
	if got := IngressNginxNamespace(ControllerInternal); got != "ingress-nginx-internal" {
		t.Errorf("internal controller namespace %q", got)
	}
}
