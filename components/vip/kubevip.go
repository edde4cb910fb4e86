package vip

import (
	"fmt"
	"net/netip"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"k3s-onprem/internal/grammar"
)

// Implementations of the VIP (vip.implementation).
const (
	ImplKeepalived = "keepalived"
	ImplKubeVIP    = "kube-vip"
)

// kube-vip's pin and where it lives on a k3s server. The names are facts
// of internal/upstream/facts/kube-vip-v1.2.2.json (TestKubeVIPPodUsesOnlyFactNames).
const (
	KubeVIPVersion = "v1.2.2"
	KubeVIPImage   = "ghcr.io/kube-vip/kube-vip:" + KubeVIPVersion
	// KubeVIPManifestPath is a static pod: k3s's kubelet reads
	// <data-dir>/agent/pod-manifests (k3s pkg/agent/config
	// DefaultPodManifestPath) and runs it without the scheduler, the
	// controllers or admission.
	KubeVIPManifestPath = "/var/lib/rancher/k3s/agent/pod-manifests/kube-vip.yaml"
	// KubeVIPKubeconfigPath is k3s's admin kubeconfig (server
	// https://127.0.0.1:6443): kube-vip elects its leader through the
	// local API server, so a server whose API cannot write the lease
	// cannot keep the VIP.
	KubeVIPKubeconfigPath = "/etc/rancher/k3s/k3s.yaml"
	// KubeVIPNamespace holds the pod and the lease; it is exempt from Pod
	// Security (internal/namespaces Systems).
	KubeVIPNamespace = "kube-system"
	// KubeVIPLeaseName is the control-plane lease (kube-vip's default).
	KubeVIPLeaseName = "plndr-cp-lock"
	// KubeVIPMetricsAddr keeps kube-vip's Prometheus listener (default
	// :2112 on every address of the host network) on loopback: no port
	// is opened for it.
	KubeVIPMetricsAddr = "127.0.0.1:2112"
	// KubeVIPSubnetBits is the VIP's prefix (kube-vip's IPv4 default): a
	// /32 adds no second route for the internal subnet.
	KubeVIPSubnetBits = 32
)

// Lease timings in seconds (client-go leader election, which kube-vip
// uses): the leader renews every RetryPeriod and gives the VIP up when a
// renew has not succeeded for RenewDeadline; a candidate takes the lease
// once LeaseDuration has passed since the last renew it saw.
type Lease struct {
	Duration, RenewDeadline, RetryPeriod int
}

// DefaultLease is kube-vip's own default (cmd/kube-vip.go flags).
var DefaultLease = Lease{Duration: 15, RenewDeadline: 10, RetryPeriod: 2}

// leaseJitter is client-go's leaderelection JitterFactor: RenewDeadline
// must exceed RetryPeriod times it.
const leaseJitter = 1.2

// Check returns what client-go's NewLeaderElector would reject (kube-vip
// then exits), as sentences for the config keys' messages.
func (l Lease) Check() []string {
	var out []string
	if l.RetryPeriod < 1 {
		out = append(out, "retryPeriod must be at least 1 s")
	}
	if l.Duration <= l.RenewDeadline {
		out = append(out, "leaseDuration must be greater than renewDeadline")
	}
	if float64(l.RenewDeadline) <= leaseJitter*float64(l.RetryPeriod) {
		out = append(out, fmt.Sprintf("renewDeadline must be greater than %.1f x retryPeriod", leaseJitter))
	}
	return out
}

// WorstCaseFailover is the longest time from the holder's crash (no
// release of the lease) until a candidate holds the lease: the lease runs
// LeaseDuration from its last renew, and a candidate polls every
// RetryPeriod with up to leaseJitter of it. A clean stop releases the lease
// (kube-vip sets ReleaseOnCancel), so only the poll remains.
func (l Lease) WorstCaseFailover() (crash, release float64) {
	poll := leaseJitter * float64(l.RetryPeriod)
	return float64(l.Duration) + poll, poll
}

// KubeVIPConfig is one server's kube-vip.
type KubeVIPConfig struct {
	// Node is the server's node name (the lease holder's identity).
	Node      string
	Interface string
	VIP       string
	APIPort   int
	Lease     Lease
	// Image defaults to KubeVIPImage.
	Image string
}

// KubeVIPEnv is the environment kube-vip's manager reads: ARP mode,
// control-plane VIP only, leader election on a kube-system lease through
// the local API server. Names are kube-vip facts (internal/upstream).
func KubeVIPEnv(c KubeVIPConfig) ([]corev1.EnvVar, error) {
	if err := grammar.InterfaceName(c.Interface); err != nil {
		return nil, fmt.Errorf("kube-vip %s: interface %q: %w", c.Node, c.Interface, err)
	}
	if a, err := netip.ParseAddr(c.VIP); err != nil || !a.Is4() {
		return nil, fmt.Errorf("kube-vip %s: VIP %q is not an IPv4 address", c.Node, c.VIP)
	}
	if c.APIPort < 1 || c.APIPort > 65535 {
		return nil, fmt.Errorf("kube-vip %s: port %d", c.Node, c.APIPort)
	}
	if c.Node == "" {
		return nil, fmt.Errorf("kube-vip: no node name")
	}
	if p := c.Lease.Check(); len(p) > 0 {
		return nil, fmt.Errorf("kube-vip %s: lease %+v: %s", c.Node, c.Lease, p[0])
	}
	itoa := strconv.Itoa
	return []corev1.EnvVar{
		{Name: "vip_arp", Value: "true"},
		{Name: "vip_interface", Value: c.Interface},
		{Name: "address", Value: c.VIP},
		{Name: "vip_subnet", Value: itoa(KubeVIPSubnetBits)},
		{Name: "port", Value: itoa(c.APIPort)},
		{Name: "cp_enable", Value: "true"},
		{Name: "cp_namespace", Value: KubeVIPNamespace},
		{Name: "svc_enable", Value: "false"},
		{Name: "vip_leaderelection", Value: "true"},
		{Name: "vip_leasename", Value: KubeVIPLeaseName},
		{Name: "vip_leaseduration", Value: itoa(c.Lease.Duration)},
		{Name: "vip_renewdeadline", Value: itoa(c.Lease.RenewDeadline)},
		{Name: "vip_retryperiod", Value: itoa(c.Lease.RetryPeriod)},
		{Name: "vip_nodename", Value: c.Node},
		{Name: "k8s_config_file", Value: KubeVIPKubeconfigPath},
		{Name: "prometheus_server", Value: KubeVIPMetricsAddr},
	}, nil
}

// KubeVIPPod is the static pod: host network (it adds the VIP to the
// host's interface and answers ARP for it), NET_ADMIN and NET_RAW only,
// everything else dropped, read-only root, the admin kubeconfig mounted
// read-only.
func KubeVIPPod(c KubeVIPConfig) (*corev1.Pod, error) {
	env, err := KubeVIPEnv(c)
	if err != nil {
		return nil, err
	}
	if c.Image == "" {
		c.Image = KubeVIPImage
	}
	f, t := false, true
	fileType := corev1.HostPathFile
	return &corev1.Pod{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{
			Name:      "kube-vip",
			Namespace: KubeVIPNamespace,
			Labels: map[string]string{
				"app.kubernetes.io/name":       "kube-vip",
				"app.kubernetes.io/version":    KubeVIPVersion,
				"app.kubernetes.io/managed-by": "k3s-onprem",
			},
		},
		Spec: corev1.PodSpec{
			HostNetwork:       true,
			PriorityClassName: "system-node-critical",
			Containers: []corev1.Container{{
				Name:            "kube-vip",
				Image:           c.Image,
				ImagePullPolicy: corev1.PullIfNotPresent,
				Args:            []string{"manager"},
				Env:             env,
				SecurityContext: &corev1.SecurityContext{
					Capabilities: &corev1.Capabilities{
						Add:  []corev1.Capability{"NET_ADMIN", "NET_RAW"},
						Drop: []corev1.Capability{"ALL"},
					},
					AllowPrivilegeEscalation: &f,
					ReadOnlyRootFilesystem:   &t,
					SeccompProfile:           &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
				},
				VolumeMounts: []corev1.VolumeMount{{Name: "kubeconfig", MountPath: KubeVIPKubeconfigPath, ReadOnly: true}},
			}},
			Volumes: []corev1.Volume{{
				Name: "kubeconfig",
				VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{
					Path: KubeVIPKubeconfigPath, Type: &fileType,
				}},
			}},
		},
	}, nil
}

// RenderKubeVIPPod renders the static pod manifest.
func RenderKubeVIPPod(c KubeVIPConfig) ([]byte, error) {
	pod, err := KubeVIPPod(c)
	if err != nil {
		return nil, err
	}
	b, err := yaml.Marshal(pod)
	if err != nil {
		return nil, err
	}
	return append([]byte("# Managed by k3s-onprem: kube-vip holds the API VIP (static pod, kube-system).\n"), b...), nil
}
