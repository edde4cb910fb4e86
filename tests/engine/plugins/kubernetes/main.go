// Command pulumi-resource-kubernetes is the engine tier's configuration-only
// stand-in for the pulumi-kubernetes provider v4.33.0 (its provider module is
// served here only as an old pseudo-version that is heavy to build). The
// engine loads a provider plugin for every provider resource of the program,
// targeted or not, so the program's explicit kubernetes Provider needs one
// even when every Kubernetes object is left out of the operation. This
// stand-in accepts the provider's configuration and implements no resource
// type: any Kubernetes object reaching it fails. See tests/engine/README.md.
// Tests only.
package main

import "k3s-onprem/tests/engine/plugins/internal/testprovider"

func main() {
	testprovider.Main(&testprovider.Provider{Name: "kubernetes", Version: "4.33.0"})
}
