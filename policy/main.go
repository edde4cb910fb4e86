// Command k3s-cis is the project's CrossGuard policy pack as an executable
// analyzer: the Pulumi CLI starts it with `--policy-pack bin/k3s-cis`, and
// it serves the policies of package policies over the analyzer gRPC
// protocol (it prints its port on stdout, as the protocol requires).
package main

import (
	"fmt"
	"os"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

	"k3s-onprem/policy/policies"
)

func main() {
	if err := policyx.Main(policies.Factory); err != nil {
		fmt.Fprintln(os.Stderr, "k3s-cis:", err)
		os.Exit(1)
	}
}
