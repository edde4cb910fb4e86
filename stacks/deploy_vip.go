package stacks

import (
	"fmt"
	"strconv"

	"github.com/pulumi/pulumi-random/sdk/v4/go/random"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"k3s-onprem/components/k3s"
	"k3s-onprem/components/vip"
)

// deployVIP runs keepalived on every server. The VRRP password is a random
// secret of keepalived's maximum length; it reaches the servers only on
// the keepalived step's stdin.
func deployVIP(ctx *pulumi.Context, spec *ClusterSpec, hosts Hosts) (*vip.VIP, error) {
	// rotation.vipPassword > 0 keys the password to its generation, so
	// raising it makes a new one (no keepers at 0: existing passwords stay).
	var keepers pulumi.StringMapInput
	if g := spec.Rotation.VIPPassword; g > 0 {
		keepers = pulumi.StringMap{"generation": pulumi.String(strconv.Itoa(g))}
	}
	pass, err := random.NewRandomPassword(ctx, spec.ClusterName+"-vip-auth-pass", &random.RandomPasswordArgs{
		Length:  pulumi.Int(vip.AuthPassMaxLen),
		Special: pulumi.Bool(false),
		Keepers: keepers,
	})
	if err != nil {
		return nil, err
	}
	args := &vip.Args{Config: vipConfig(spec), AuthPass: pass.Result}
	for _, n := range spec.Servers() {
		h := hosts[n.Name]
		if h == nil {
			return nil, fmt.Errorf("%s: no host", n.Name)
		}
		args.Members = append(args.Members, vip.Member{Target: h.Target, After: []pulumi.Resource{h.Ready}})
	}
	return vip.NewVIP(ctx, spec.ClusterName+"-vip", args)
}

// vipConfig is the pure part of the VIP configuration.
func vipConfig(spec *ClusterSpec) vip.Config {
	c := vip.Config{
		Address:         spec.VIP.Address,
		InternalCIDR:    spec.Network.InternalCIDR,
		Interface:       spec.VIP.Interface,
		VirtualRouterID: spec.VIP.VirtualRouterID,
		Unicast:         spec.VIP.Unicast,
		APIPort:         k3s.APIPort,
	}
	for _, n := range spec.Servers() {
		c.Servers = append(c.Servers, vip.Server{Node: n.Name, Address: n.InternalAddress})
	}
	return c
}
