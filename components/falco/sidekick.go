package falco

import (
	"fmt"
	"net/netip"
	"sort"

	"k3s-onprem/internal/namespaces"
)

// falcosidekick runs in the cluster and fans Falco's alerts out to the
// configured outputs and to the responder.
const (
	Namespace           = namespaces.FalcoName
	SidekickReleaseName = namespaces.SidekickRelease
	// SidekickPort is falcosidekick's own listen port (its chart's
	// default); that the responder's default is the same number is a
	// coincidence, they run on different hosts' addresses.
	SidekickPort = namespaces.SidekickPort
	// responderCAMount is where the responder's CA is mounted in sidekick.
	responderCAMount = "/etc/k3s-onprem/responder-ca"
	// ResponderCAConfigMap holds the responder's CA certificate (public).
	ResponderCAConfigMap = "falcosidekick-responder-ca"
)

// Offsets of the fixed ClusterIPs inside the service CIDR. They sit in the
// band Kubernetes keeps for static assignment (the first 16 to 256
// addresses, depending on the CIDR size; dynamic allocation prefers the
// rest), away from the API server (.1) and CoreDNS (.10) that k3s pins.
const (
	sidekickIPOffset = 12
	auditIPOffset    = 13
)

// SidekickClusterIP is the fixed address of falcosidekick's node-facing
// Service. Host-mode Falco runs outside the pod network, but every node's
// kube-proxy routes a ClusterIP from the host too, so the address works on
// servers and agents alike, needs no DNS, no nip.io, no ingress, no VIP and
// no firewall opening, and is unreachable from outside the cluster (a
// NodePort would listen on every node's internal address).
func SidekickClusterIP(serviceCIDR string) (string, error) {
	return nthAddr(serviceCIDR, sidekickIPOffset)
}

// AuditClusterIP is the fixed address of the k8saudit listener in
// daemonset mode (same reasoning as SidekickClusterIP).
func AuditClusterIP(serviceCIDR string) (string, error) {
	return nthAddr(serviceCIDR, auditIPOffset)
}

func nthAddr(cidr string, n int) (string, error) {
	p, err := netip.ParsePrefix(cidr)
	if err != nil {
		return "", fmt.Errorf("service CIDR %q: %w", cidr, err)
	}
	p = p.Masked()
	if !p.Addr().Is4() || p.Bits() > 28 {
		return "", fmt.Errorf("service CIDR %s: want an IPv4 prefix of /28 or larger for the fixed Falco addresses", cidr)
	}
	a := p.Addr()
	for i := 0; i < n; i++ {
		a = a.Next()
	}
	return a.String(), nil
}

// SidekickURL is Falco's http_output target.
func SidekickURL(clusterIP string) string {
	return fmt.Sprintf("http://%s:%d/", clusterIP, SidekickPort)
}

// Ref is a Helm value that is only known as a Pulumi output (an output URL,
// the responder's address or token). Pure renderers keep it symbolic; the
// component substitutes the output, keeping secrets secret.
type Ref struct {
	Key    string
	Secret bool
}

// Output is one alert destination.
type Output struct {
	// Type is slack, teams, mattermost, discord, alertmanager or webhook.
	Type string
	// MinPriority is the lowest Falco priority sent there.
	MinPriority string
}

// ResponderOutput sends alerts to the responder through sidekick's webhook
// output, authenticated with a bearer token and verified against its CA.
type ResponderOutput struct {
	MinPriority string
	// HasCA mounts the CA ConfigMap and verifies the responder with it.
	HasCA bool
}

// SidekickInput is what the sidekick values depend on.
type SidekickInput struct {
	Outputs   []Output
	Responder *ResponderOutput
}

// Keys of the Refs SidekickValues emits.
const (
	RefResponderURL    = "responder.url"
	RefResponderHeader = "responder.authHeader"
)

// URLRef is the Ref of an output type's URL (falcoOutputUrls.<type>).
func URLRef(outputType string) Ref { return Ref{Key: "falcoOutputUrls." + outputType, Secret: true} }

// outputKeys maps an output type to its sidekick config section and the
// key holding its URL.
var outputKeys = map[string][2]string{
	"slack":        {"slack", "webhookurl"},
	"teams":        {"teams", "webhookurl"},
	"mattermost":   {"mattermost", "webhookurl"},
	"discord":      {"discord", "webhookurl"},
	"alertmanager": {"alertmanager", "hostport"},
	"webhook":      {"webhook", "address"},
}

// SidekickValues builds the chart values. Every output URL is a secret Ref;
// sidekick's chart stores the whole config in a Kubernetes Secret.
func SidekickValues(in SidekickInput) (map[string]any, error) {
	cfg := map[string]any{"debug": false}
	outs := append([]Output(nil), in.Outputs...)
	sort.Slice(outs, func(i, j int) bool { return outs[i].Type < outs[j].Type })
	for _, o := range outs {
		k, ok := outputKeys[o.Type]
		if !ok {
			return nil, fmt.Errorf("falco output %q: unsupported type", o.Type)
		}
		section := map[string]any{k[1]: URLRef(o.Type), "minimumpriority": o.MinPriority}
		if o.Type == "slack" {
			section["outputformat"] = "all"
		}
		if o.Type == "webhook" || o.Type == "alertmanager" || o.Type == "mattermost" {
			section["checkcert"] = true
		}
		cfg[k[0]] = section
	}
	values := map[string]any{
		"fullnameOverride": SidekickReleaseName,
		"replicaCount":     2,
		"image":            map[string]any{"tag": SidekickImageTag},
		// Restricted Pod Security profile: the falco namespace enforces it.
		"podSecurityContext": map[string]any{
			"runAsNonRoot": true, "runAsUser": 1234, "runAsGroup": 1234, "fsGroup": 1234,
			"seccompProfile": map[string]any{"type": "RuntimeDefault"},
		},
		"securityContext": map[string]any{
			"allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true,
			"capabilities": map[string]any{"drop": []any{"ALL"}},
		},
		"resources": map[string]any{
			"requests": map[string]any{"cpu": "50m", "memory": "64Mi"},
			"limits":   map[string]any{"memory": "128Mi"},
		},
		"service": map[string]any{"type": "ClusterIP", "port": SidekickPort},
		"webui":   map[string]any{"enabled": false},
		"config":  cfg,
	}
	if r := in.Responder; r != nil {
		if _, taken := cfg["webhook"]; taken {
			// falcosidekick has a single generic webhook output.
			return nil, fmt.Errorf("falco output webhook: the responder uses falcosidekick's only webhook output; remove the webhook output or disable the responder")
		}
		cfg["webhook"] = map[string]any{
			"address":         Ref{Key: RefResponderURL},
			"customHeaders":   Ref{Key: RefResponderHeader, Secret: true},
			"minimumpriority": r.MinPriority,
			"checkcert":       true,
			"method":          "POST",
		}
		if r.HasCA {
			cfg["tlsclient"] = map[string]any{"cacertfile": responderCAMount + "/ca.crt"}
			values["extraVolumes"] = []any{map[string]any{
				"name": "responder-ca", "configMap": map[string]any{"name": ResponderCAConfigMap},
			}}
			values["extraVolumeMounts"] = []any{map[string]any{
				"name": "responder-ca", "mountPath": responderCAMount, "readOnly": true,
			}}
		}
	}
	return values, nil
}
