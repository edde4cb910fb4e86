package falco

import (
	"fmt"

	clientcmdv1 "k8s.io/client-go/tools/clientcmd/api/v1"
	"sigs.k8s.io/yaml"

	"k3s-onprem/internal/hoststep"
	"k3s-onprem/internal/namespaces"
)

// Kubernetes audit events reach Falco's k8saudit plugin through the API
// server's audit webhook backend.
const (
	// AuditWebhookConfigPath is the webhook kubeconfig on every server,
	// next to the audit policy the k3s component renders.
	AuditWebhookConfigPath = "/var/lib/rancher/k3s/server/audit-webhook.yaml"
	// AuditPort is where the k8saudit plugin listens.
	AuditPort = namespaces.FalcoAuditPort
	// AuditEndpoint is the plugin's webhook path.
	AuditEndpoint = "/k8s-audit"
)

// HostAuditURL is the k8saudit listener in host mode. The API server runs
// inside the k3s process on the same host, so loopback is enough: the
// listener is unreachable from the network (no TLS or token needed, and no
// firewall opening), and nothing depends on DNS or nip.io.
func HostAuditURL() string {
	return fmt.Sprintf("http://127.0.0.1:%d%s", AuditPort, AuditEndpoint)
}

// ServiceAuditURL is the k8saudit listener in daemonset mode: a fixed
// ClusterIP the servers reach through kube-proxy (see SidekickClusterIP).
func ServiceAuditURL(clusterIP string) string {
	return fmt.Sprintf("http://%s:%d%s", clusterIP, AuditPort, AuditEndpoint)
}

// AuditWebhookAPIServerArgs are the kube-apiserver-arg entries a server
// needs to stream audit events to Falco. The policy itself is the k3s
// component's (audit-policy-file); batch mode keeps API requests from
// waiting on Falco, and a short max wait keeps detections timely.
func AuditWebhookAPIServerArgs() []string {
	return []string{
		"audit-webhook-config-file=" + AuditWebhookConfigPath,
		"audit-webhook-mode=batch",
		"audit-webhook-batch-max-wait=5s",
	}
}

// RenderAuditWebhookConfig renders the API server's audit webhook
// kubeconfig pointing at url (HostAuditURL or ServiceAuditURL).
func RenderAuditWebhookConfig(url string) ([]byte, error) {
	cfg := clientcmdv1.Config{
		Kind:       "Config",
		APIVersion: "v1",
		Clusters: []clientcmdv1.NamedCluster{{
			Name:    "falco",
			Cluster: clientcmdv1.Cluster{Server: url},
		}},
		AuthInfos: []clientcmdv1.NamedAuthInfo{{Name: "kube-apiserver"}},
		Contexts: []clientcmdv1.NamedContext{{
			Name:    "falco",
			Context: clientcmdv1.Context{Cluster: "falco", AuthInfo: "kube-apiserver"},
		}},
		CurrentContext: "falco",
	}
	b, err := yaml.Marshal(cfg)
	if err != nil {
		return nil, fmt.Errorf("render %s: %w", AuditWebhookConfigPath, err)
	}
	return append([]byte("# Managed by k3s-onprem: API server audit webhook to Falco's k8saudit plugin.\n"), b...), nil
}

// AuditWebhookURL is where a server's audit webhook must point for a Falco
// mode: loopback in host mode, the fixed k8saudit ClusterIP in daemonset
// mode. The k3s component renders RenderAuditWebhookConfig(this URL).
func AuditWebhookURL(mode, serviceCIDR string) (string, error) {
	switch mode {
	case ModeHost:
		return HostAuditURL(), nil
	case ModeDaemonSet:
		ip, err := AuditClusterIP(serviceCIDR)
		if err != nil {
			return "", err
		}
		return ServiceAuditURL(ip), nil
	}
	return "", fmt.Errorf("falco.mode %q: want host or daemonset", mode)
}

// APIServerAuditWebhook is what every k3s server needs to stream its audit
// events to Falco in a mode: the kube-apiserver arguments and the webhook
// kubeconfig at AuditWebhookConfigPath.
func APIServerAuditWebhook(mode, serviceCIDR string) (args []string, files []hoststep.File, err error) {
	url, err := AuditWebhookURL(mode, serviceCIDR)
	if err != nil {
		return nil, nil, err
	}
	webhook, err := RenderAuditWebhookConfig(url)
	if err != nil {
		return nil, nil, err
	}
	return AuditWebhookAPIServerArgs(), []hoststep.File{{Path: AuditWebhookConfigPath, Mode: 0o600, Content: webhook,
		Renderer: hoststep.Renderer{Func: "falco.RenderAuditWebhookConfig", Source: "components/falco/audit.go"}}}, nil
}
