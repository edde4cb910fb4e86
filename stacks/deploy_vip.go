package stacks

import (
	"fmt"

	"github.com/pulumi/pulumi-random/sdk/v4/go/random"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"k3s-onprem/components/k3s"
	"k3s-onprem/components/vip"
)

// deployVIP runs keepalived on every server. The VRRP password is a random
// secret of keepalived's maximum length; it reaches the servers only on
// the keepalived step's stdin.
func deployVIP(ctx *pulumi.Context, spec *ClusterSpec, hosts Hosts) (*vip.VIP, error) {
	pass, err := random.NewRandomPassword(ctx, spec.ClusterName+"-vip-auth-pass", &random.RandomPasswordArgs{
		Length:  pulumi.Int(vip.AuthPassMaxLen),
		Special: pulumi.Bool(false),
	})
	if err != nil {
		return nil, err
	}
	args := vipArgs(spec)
	args.AuthPass = pass.Result
	for i, n := range spec.Servers() {
		h := hosts[n.Name]
		if h == nil {
			return nil, fmt.Errorf("%s: no host", n.Name)
		}
		args.Members[i].Target = h.Target
		args.Members[i].After = []pulumi.Resource{h.Ready}
	}
	return vip.NewVIP(ctx, spec.ClusterName+"-vip", args)
}

// vipArgs is the pure part of the VIP configuration.
func vipArgs(spec *ClusterSpec) *vip.Args {
	a := &vip.Args{
		Address:         spec.VIP.Address,
		InternalCIDR:    spec.Network.InternalCIDR,
		Interface:       spec.VIP.Interface,
		VirtualRouterID: spec.VIP.VirtualRouterID,
		Unicast:         spec.VIP.Unicast,
		APIPort:         k3s.APIPort,
	}
	for _, n := range spec.Servers() {
		m := vip.Member{Address: n.InternalAddress}
		m.Target.Node = n.Name
		a.Members = append(a.Members, m)
	}
	return a
}
