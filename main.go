// Command k3s-onprem is the Pulumi program: it turns SSH-reachable Linux
// hosts into a hardened, highly available k3s cluster.
package main

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"k3s-onprem/stacks"
)

func main() {
	pulumi.Run(stacks.Run)
}
