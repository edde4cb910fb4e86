package vip

import (
	"fmt"
	"strconv"

	"k3s-onprem/internal/hoststep"
)

// KubeVIPStepName is the kube-vip step; resources are <node>-kube-vip.
const KubeVIPStepName = "kube-vip"

// KubeVIPWaitSeconds bounds the step's wait for the VIP to answer (the
// first server's kubelet pulls the image, then kube-vip wins the lease).
const KubeVIPWaitSeconds = 300

// kubeVIPStep places the kube-vip static pod on a server whose k3s is up
// (its admin kubeconfig exists), stops the program's keepalived first when
// switching, and waits until the VIP answers with this cluster's CA.
var kubeVIPStep = hoststep.Def[StepsInput]{
	Name:  KubeVIPStepName,
	Roles: []string{hoststep.RoleServer},
	Skip: func(in StepsInput) string {
		if !in.Config.KubeVIP() {
			return "vip.implementation is keepalived"
		}
		return ""
	},
	Build: buildKubeVIP,
}

// serverCAPath is the cluster's server CA on every k3s server.
const serverCAPath = "/var/lib/rancher/k3s/server/tls/server-ca.crt"

func buildKubeVIP(in StepsInput) (hoststep.Step, error) {
	c := in.Config
	if in.Server < 0 || in.Server >= len(c.Servers) {
		return hoststep.Step{}, fmt.Errorf("server %d of %d", in.Server, len(c.Servers))
	}
	pod, err := RenderKubeVIPPod(KubeVIPConfig{
		Node: c.Servers[in.Server].Node, Interface: c.Interface, VIP: c.Address, APIPort: c.APIPort, Lease: c.Lease,
	})
	if err != nil {
		return hoststep.Step{}, err
	}
	return hoststep.Step{
		Name:   KubeVIPStepName,
		Script: kubeVIPScript,
		Files: []hoststep.File{
			{Path: KubeVIPManifestPath, Mode: 0o600, Content: pod, Renderer: hoststep.Renderer{Func: "vip.RenderKubeVIPPod", Source: "components/vip/kubevip.go"}},
		},
		Vars: map[string]string{
			"MANIFEST": KubeVIPManifestPath, "KUBECONFIG_FILE": KubeVIPKubeconfigPath, "SERVER_CA": serverCAPath,
			"VIP": c.Address, "API_PORT": strconv.Itoa(c.APIPort), "WAIT_SECONDS": strconv.Itoa(KubeVIPWaitSeconds),
			"KEEPALIVED_CONF": ConfPath,
		},
	}, nil
}
