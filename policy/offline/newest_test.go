package offline

import (
	"testing"

	"k3s-onprem/stacks"
)

// newestWithGatewayAndKubeVIP turns prod into a stack on the newest stable
// k3s with both of #16's alternatives selected: Traefik (Gateway API) for
// ingress and kube-vip for the VIP.
func newestWithGatewayAndKubeVIP(raw map[string]string) {
	raw["k3s"] = `{"version": "` + stacks.NewestK3s + `", "extraTlsSans": ["k3s.example.internal"]}`
	raw["vip"] = `{"address": "192.168.122.100", "interface": "eth0", "implementation": "kube-vip"}`
	raw["ingress"] = `{"implementation": "traefik",
		"external": {"pool": "external", "loadBalancerIp": "192.168.1.200", "replicas": 3},
		"internal": {"pool": "internal", "loadBalancerIp": "192.168.122.200", "replicas": 2}}`
}

// The prod stack on the newest k3s with Traefik and kube-vip passes the
// whole pack, as `make render` checks it.
func TestNewestStackWithGatewayAndKubeVIPPassesThePack(t *testing.T) {
	if vs := check(t, "prod", newestWithGatewayAndKubeVIP, nil, nil); len(vs) > 0 {
		t.Fatalf("%d violations:\n%s", len(vs), dump(vs))
	}
}
