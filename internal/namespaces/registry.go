package namespaces

import "slices"

// Names of the namespaces the program creates, and the Helm release and
// port facts their NetworkPolicies select on. The components that install
// into them use these constants, so a name or a port is written once.
const (
	MetalLBName    = "metallb-system"
	MetalLBRelease = "metallb"
	// MetalLBWebhookPort serves the validating webhook the API server calls.
	MetalLBWebhookPort = 9443
	MetalLBMetricsPort = 7472

	// IngressNginxName is the external controller's namespace and release
	// (the chart's own naming); others are IngressNginxName-<controller>.
	IngressNginxName = "ingress-nginx"
	// TraefikName is the external Traefik controller's namespace and
	// release; others are TraefikName-<controller>.
	TraefikName = "traefik"
	// Traefik's container ports (the chart's entrypoints): the Service
	// maps 80/443 to them, so the pod binds without privilege.
	TraefikWebPort       = 8000
	TraefikWebsecurePort = 8443
	TraefikMetricsPort   = 9100

	FalcoName = "falco"
	// FalcoSensorsName holds the daemonset-mode sensors: they need
	// privileged pods, so they do not share FalcoName with falcosidekick.
	FalcoSensorsName    = "falco-system"
	SidekickRelease     = "falcosidekick"
	FalcoSensorsRelease = "falco"
	FalcoAuditRelease   = "falco-k8saudit"
	// SidekickPort is falcosidekick's own listen port (its chart's default).
	SidekickPort = 2801
	// FalcoAuditPort is where the k8saudit plugin listens.
	FalcoAuditPort = 9765
	// FalcoHealthPort is the sensors' health endpoint (kubelet probes).
	FalcoHealthPort = 8765

	ResponderName = "falco-responder"
)

// PodSecurityPolicy names (k3s <= 1.24) a namespace can be granted.
const (
	PSPSystemUnrestricted = "system-unrestricted-psp"
	PSPGlobalRestricted   = "global-restricted-psp"
	PSPNetBindService     = "net-bind-service-psp"
)

// Controller names of the ingress layer: the blog's two controllers.
const (
	ControllerExternal = "external"
	ControllerInternal = "internal"
)

// Ingress implementations (stack key ingress.implementation).
const (
	IngressKindNginx   = "ingress-nginx"
	IngressKindTraefik = "traefik"
)

// Systems are the namespaces Kubernetes and k3s create themselves.
var Systems = []System{
	{
		Name: "kube-system",
		PSAExempt: "k3s's packaged add-ons (CoreDNS, metrics-server, local-path, klipper) run here and are managed by k3s, not by this " +
			"program; the local-path provisioner's helper pods mount host paths, which the baseline level forbids",
		AutomountAllowed: "k3s's packaged add-ons are managed by k3s; whether their pods mount tokens is k3s's decision, and blocking " +
			"one would break the cluster's DNS or storage",
	},
	// Where unconfigured workloads land: the first place an attacked pod
	// is found, so the responder acts here.
	{Name: "default", Managed: true, ResponderMayAct: true},
	{Name: "kube-public", Managed: true},
	{Name: "kube-node-lease", Managed: true},
}

// MetalLB is metallb-system.
func MetalLB() Namespace {
	return Namespace{
		Name:    MetalLBName,
		Owner:   "loadbalancer",
		Enforce: Privileged,
		Reason: "the MetalLB speaker runs with hostNetwork and the NET_RAW capability to answer ARP for service addresses on the nodes' " +
			"interfaces, which the baseline level forbids; the controller in the same namespace needs none of it",
		Workloads: []Workload{
			{
				Name:      "controller",
				Selector:  map[string]string{"app.kubernetes.io/name": MetalLBRelease, "app.kubernetes.io/component": "controller"},
				Public:    []Port{{Port: MetalLBWebhookPort}},
				Metrics:   []Port{{Port: MetalLBMetricsPort}},
				APIServer: true,
				Why:       "watches Services and pools through the API; serves the validating webhook (9443) that the API server calls from host addresses; metrics on 7472 (HTTPS since MetalLB 0.16; the chart values set the port)",
			},
			{
				Name:        "speaker",
				HostNetwork: true,
				Why:         "host network: not subject to NetworkPolicies; the host firewall (components/host) limits memberlist 7946 to the internal zone",
			},
		},
		PSPGrants: []PSPGrant{{
			Policy: PSPSystemUnrestricted, ServiceAccounts: []string{MetalLBRelease + "-speaker"},
			Reason: "hostNetwork and NET_RAW, as above",
		}},
	}
}

// IngressNginxNamespace is the namespace (and Helm release) of the
// ingress-nginx controller named controller.
func IngressNginxNamespace(controller string) string {
	if controller == ControllerExternal {
		return IngressNginxName
	}
	return IngressNginxName + "-" + controller
}

// IngressNginx is one ingress-nginx controller's namespace.
func IngressNginx(controller string) Namespace {
	rel := IngressNginxNamespace(controller)
	pods := func(component string) map[string]string {
		return map[string]string{"app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/instance": rel, "app.kubernetes.io/component": component}
	}
	return Namespace{
		Name:    rel,
		Owner:   "ingress",
		Enforce: Restricted,
		Workloads: []Workload{
			{
				Name:      "controller",
				Selector:  pods("controller"),
				Public:    []Port{{Port: 80}, {Port: 443}, {Port: 8443}},
				Metrics:   []Port{{Port: 10254}},
				APIServer: true,
				AllPods:   true,
				Why:       "clients on 80/443 from anywhere; the admission webhook (8443) called by the API server; proxies to backends in every namespace; watches Ingresses through the API; metrics on 10254",
			},
			{
				Name:      "admission",
				Selector:  pods("admission-webhook"),
				APIServer: true,
				Why:       "the chart's hook jobs create the webhook certificate and patch it into the webhook configuration through the API",
			},
		},
		PSPGrants: []PSPGrant{{
			Policy: PSPNetBindService, ServiceAccounts: []string{rel},
			Reason: "nginx binds 80/443 as uid 101 with NET_BIND_SERVICE (and, before controller v1.9, privilege escalation for the file capability)",
		}},
	}
}

// TraefikNamespace is the namespace (and Helm release) of the Traefik
// controller named controller.
func TraefikNamespace(controller string) string {
	if controller == ControllerExternal {
		return TraefikName
	}
	return TraefikName + "-" + controller
}

// TraefikPods are the labels the Traefik chart selects its pods by
// (templates/_helpers.tpl traefik.labelselector: the instance is
// <release>-<namespace>).
func TraefikPods(controller string) map[string]string {
	rel := TraefikNamespace(controller)
	return map[string]string{"app.kubernetes.io/name": "traefik", "app.kubernetes.io/instance": rel + "-" + rel}
}

// Traefik is one Traefik controller's namespace: one Deployment that
// watches the Gateway API and proxies, so one workload.
func Traefik(controller string) Namespace {
	return Namespace{
		Name:    TraefikNamespace(controller),
		Owner:   "ingress",
		Enforce: Restricted,
		Workloads: []Workload{{
			Name:      "controller",
			Selector:  TraefikPods(controller),
			Public:    []Port{{Port: TraefikWebPort}, {Port: TraefikWebsecurePort}},
			Metrics:   []Port{{Port: TraefikMetricsPort}},
			APIServer: true,
			AllPods:   true,
			Why:       "clients on 8000/8443 (the Service's 80/443) from anywhere; proxies to backends in every namespace; watches Gateways, routes and Services through the API; metrics on 9100",
		}},
	}
}

// Pod labels the Falco charts set (name = chart, instance = release); the
// NetworkPolicies and the fixed Services select on them.
func SidekickPods() map[string]string {
	return map[string]string{"app.kubernetes.io/name": "falcosidekick", "app.kubernetes.io/instance": SidekickRelease}
}

func FalcoAuditPods() map[string]string {
	return map[string]string{"app.kubernetes.io/name": "falco", "app.kubernetes.io/instance": FalcoAuditRelease}
}

func FalcoSensorPods() map[string]string {
	return map[string]string{"app.kubernetes.io/name": "falco", "app.kubernetes.io/instance": FalcoSensorsRelease}
}

// Falco is falcosidekick's namespace (both Falco modes).
func Falco() Namespace {
	return Namespace{
		Name:    FalcoName,
		Owner:   "falco",
		Enforce: Restricted,
		Workloads: []Workload{{
			Name:      "sidekick",
			Selector:  SidekickPods(),
			FromNodes: []Port{{Port: SidekickPort}},
			AnyEgress: true,
			Why: "host-mode Falco posts alerts from the nodes (2801); forwards to the configured outputs, which are arbitrary " +
				"external URLs, and to the responder on the servers",
		}},
	}
}

// FalcoSensors is the daemonset-mode sensors' namespace.
func FalcoSensors() Namespace {
	return Namespace{
		Name:    FalcoSensorsName,
		Owner:   "falco",
		Enforce: Privileged,
		Reason:  "Falco sensors load the eBPF probe and read host state: privileged, hostPID and host mounts",
		Workloads: []Workload{
			{
				Name:      "k8saudit",
				Selector:  FalcoAuditPods(),
				FromNodes: []Port{{Port: FalcoAuditPort}},
				AnyEgress: true,
				Why:       "the API server's audit webhook posts from the servers (9765); posts alerts to falcosidekick and fetches its pinned plugin artifacts",
			},
			{
				Name:      "sensors",
				Selector:  FalcoSensorPods(),
				FromNodes: []Port{{Port: FalcoHealthPort}},
				AnyEgress: true,
				Why:       "only the kubelet's health probes come in (8765); posts alerts to falcosidekick and fetches its pinned artifacts",
			},
		},
	}
}

// Responder holds only the responder's ServiceAccount: the responder runs
// on the servers' hosts, and no pod belongs here.
func Responder() Namespace {
	return Namespace{Name: ResponderName, Owner: "responder", Enforce: Restricted}
}

// Selection is which optional components a stack deploys.
type Selection struct {
	LoadBalancer bool
	// IngressControllers names the enabled ingress controllers.
	IngressControllers []string
	// IngressKinds are the implementations they run (IngressKind*): one
	// per stack; Every has all of them.
	IngressKinds   []string
	Falco          bool
	FalcoDaemonSet bool
	Responder      bool
}

// Every selects every component in every mode: every namespace the program
// may create in some stack.
var Every = Selection{
	LoadBalancer: true, IngressControllers: []string{ControllerExternal, ControllerInternal},
	IngressKinds: []string{IngressKindNginx, IngressKindTraefik},
	Falco:        true, FalcoDaemonSet: true, Responder: true,
}

// registry is every namespace the program creates, each with the stacks
// that have it, in the order the podsecurity layer registers them. A new
// namespace is a declaration above and a line here.
var registry = []func(Selection) []Namespace{
	func(s Selection) []Namespace { return when(s.LoadBalancer, MetalLB) },
	func(s Selection) []Namespace {
		var out []Namespace
		kinds := s.IngressKinds
		if len(kinds) == 0 {
			kinds = []string{IngressKindNginx}
		}
		for _, kind := range kinds {
			for _, c := range s.IngressControllers {
				if ns, ok := ingressNamespaces[kind]; ok {
					out = append(out, ns(c))
				}
			}
		}
		return out
	},
	func(s Selection) []Namespace { return when(s.Responder, Responder) },
	func(s Selection) []Namespace { return when(s.Falco, Falco) },
	func(s Selection) []Namespace { return when(s.Falco && s.FalcoDaemonSet, FalcoSensors) },
}

// ingressNamespaces declares a controller's namespace per implementation;
// the stack validation accepts exactly these kinds.
var ingressNamespaces = map[string]func(controller string) Namespace{
	IngressKindNginx:   IngressNginx,
	IngressKindTraefik: Traefik,
}

func when(on bool, ns func() Namespace) []Namespace {
	if !on {
		return nil
	}
	return []Namespace{ns()}
}

// For lists the namespaces the program creates for a selection.
func For(sel Selection) []Namespace {
	var out []Namespace
	for _, of := range registry {
		out = append(out, of(sel)...)
	}
	return out
}

// ByOwner is every namespace (in any selection) a component installs into.
func ByOwner(owner string) []string {
	var out []string
	for _, ns := range For(Every) {
		if ns.Owner == owner {
			out = append(out, ns.Name)
		}
	}
	return out
}

// ResponderProtected is every namespace of a selection the responder must
// never act in: the system ones it may not touch and the program's own.
func ResponderProtected(sel Selection) []string {
	var out []string
	for _, s := range Systems {
		if !s.ResponderMayAct {
			out = append(out, s.Name)
		}
	}
	for _, ns := range For(sel) {
		if !ns.ResponderMayAct {
			out = append(out, ns.Name)
		}
	}
	slices.Sort(out)
	return out
}

// PSAExemptions are the namespaces exempt from Pod Security Admission,
// with why. Every other namespace that needs privilege says so with its
// own labels instead, so audit and warn still see it.
func PSAExemptions() []Exemption {
	return systemExemptions(func(s System) string { return s.PSAExempt })
}

// AutomountAllowed are the namespaces outside the admission policy that
// rejects pods using the default service account with a token.
func AutomountAllowed() []Exemption {
	return systemExemptions(func(s System) string { return s.AutomountAllowed })
}

// systemExemptions are the system namespaces with a reason for one rule.
func systemExemptions(reason func(System) string) []Exemption {
	var out []Exemption
	for _, s := range Systems {
		if r := reason(s); r != "" {
			out = append(out, Exemption{Namespace: s.Name, Reason: r})
		}
	}
	return out
}

// ManagedSystems are the system namespaces that get the program's
// default-deny and token-less default service account.
func ManagedSystems() []string {
	var out []string
	for _, s := range Systems {
		if s.Managed {
			out = append(out, s.Name)
		}
	}
	return out
}
