package stacks

import (
	"fmt"
	"strconv"

	"github.com/pulumi/pulumi-random/sdk/v4/go/random"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"k3s-onprem/components/k3s"
	"k3s-onprem/components/vip"
)

// deployVIP runs keepalived on every server before k3s. The VRRP password
// is a random secret of keepalived's maximum length; it reaches the
// servers only on the keepalived step's stdin. With kube-vip it registers
// nothing: kube-vip elects its leader through the API server, so
// deployK3s places it after the servers' health gates (deployKubeVIP).
func deployVIP(ctx *pulumi.Context, spec *ClusterSpec, hosts Hosts) (*vip.VIP, error) {
	if spec.VIP.Implementation == vip.ImplKubeVIP {
		return nil, nil
	}
	// rotation.vipPassword keys the password to its generation.
	pass, err := random.NewRandomPassword(ctx, spec.ClusterName+"-vip-auth-pass", &random.RandomPasswordArgs{
		Length:  pulumi.Int(vip.AuthPassMaxLen),
		Special: pulumi.Bool(false),
		Keepers: generationKeepers(spec.Rotation.VIPPassword),
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

// deployKubeVIP places kube-vip on every server once that server's k3s
// passed its health gate (gates in server order). The servers join the
// first server's own address, not the VIP, so the VIP is needed only by
// the agents and the kubeconfig, which wait for these steps.
func deployKubeVIP(ctx *pulumi.Context, spec *ClusterSpec, hosts Hosts, gates []pulumi.Resource) (*vip.VIP, error) {
	args := &vip.Args{Config: vipConfig(spec)}
	for i, n := range spec.Servers() {
		h := hosts[n.Name]
		if h == nil || i >= len(gates) {
			return nil, fmt.Errorf("%s: no host or no k3s gate", n.Name)
		}
		args.Members = append(args.Members, vip.Member{Target: h.Target, After: []pulumi.Resource{gates[i]}})
	}
	return vip.NewVIP(ctx, spec.ClusterName+"-vip", args)
}

// vipConfig is the pure part of the VIP configuration.
func vipConfig(spec *ClusterSpec) vip.Config {
	c := vip.Config{
		Implementation:  spec.VIP.Implementation,
		Address:         spec.VIP.Address,
		InternalCIDR:    spec.Network.InternalCIDR,
		Interface:       spec.VIP.Interface,
		VirtualRouterID: spec.VIP.VirtualRouterID,
		Unicast:         spec.VIP.Unicast,
		APIPort:         k3s.APIPort,
	}
	if k := spec.VIP.KubeVIP; k != nil {
		c.Lease = vip.Lease{Duration: k.LeaseDuration, RenewDeadline: k.RenewDeadline, RetryPeriod: k.RetryPeriod}
	}
	for _, n := range spec.Servers() {
		c.Servers = append(c.Servers, vip.Server{Node: n.Name, Address: n.InternalAddress})
	}
	return c
}

// generationKeepers keys a random secret to a rotation generation, so
// raising it makes a new value; none at 0, so secrets made before rotation
// existed stay.
func generationKeepers(generation int) pulumi.StringMapInput {
	if generation == 0 {
		return nil
	}
	return pulumi.StringMap{"generation": pulumi.String(strconv.Itoa(generation))}
}
