package k3s

import (
	"strconv"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"k3s-onprem/internal/hoststep"
)

// StepMemberPrefix names the per-node membership step on the first server.
const StepMemberPrefix = "k3s-member-"

// MemberStep is the step, run on the first server, whose deletion drains a
// node that left the stack and deletes its Node object.
func MemberStep(node string, waitSeconds int) hoststep.Step {
	if waitSeconds == 0 {
		waitSeconds = DefaultWaitSeconds
	}
	return hoststep.Step{Name: StepMemberPrefix + node, Script: script("member.sh"),
		Vars: map[string]string{"MEMBER": node, "WAIT_SECONDS": strconv.Itoa(waitSeconds)}}
}

// NewMember registers node's membership on the first server. It depends on
// the node's last k3s step, so on removal Pulumi deletes it first: the node
// is drained while it still runs, then its own steps stop k3s.
func NewMember(ctx *pulumi.Context, first *Server, node string, nodeReady pulumi.Resource, opts ...pulumi.ResourceOption) (pulumi.Resource, error) {
	opts = append(opts, pulumi.Parent(first), pulumi.DependsOn([]pulumi.Resource{nodeReady}))
	return hoststep.Apply(ctx, first.Target, MemberStep(node, 0), hoststep.Options{}, opts...)
}
