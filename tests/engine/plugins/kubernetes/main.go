// Command pulumi-resource-kubernetes is the engine tier's preview-only
// stand-in for the pulumi-kubernetes provider v4.33.0 (its provider module is
// served here only as an old pseudo-version that is heavy to build). It
// accepts the provider's configuration and previews every Kubernetes object
// the way the real provider does while the cluster cannot be reached (the
// kubeconfig is unknown on a first preview): inputs pass Check unvalidated
// and a preview Create returns them as the outputs. It applies nothing: a
// real create, update or delete fails. See tests/engine/README.md. Tests only.
package main

import (
	"context"
	"errors"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"

	"k3s-onprem/tests/engine/plugins/internal/testprovider"
)

// errApply: the engine tier never applies Kubernetes objects (its stacks
// stop before k3s; previews never apply).
var errApply = errors.New("kubernetes stand-in: previews only, applying objects needs the real provider and a cluster")

// unreachableCluster follows provider/pkg/provider/provider.go of
// pulumi-kubernetes when Configure marked the cluster unreachable: Check
// skips the OpenAPI validation, and a preview Create ("cannot preview
// Create") returns the inputs as they are.
type unreachableCluster struct{}

func (unreachableCluster) ReplaceKeys() map[string]bool { return nil }

func (unreachableCluster) Check(news resource.PropertyMap) (resource.PropertyMap, []*pulumirpc.CheckFailure) {
	return news, nil
}

func (unreachableCluster) Create(_ context.Context, op testprovider.Op, in resource.PropertyMap) (string, resource.PropertyMap, error) {
	if !op.Preview {
		return "", nil, errApply
	}
	return "", in, nil
}

func (unreachableCluster) Update(_ context.Context, op testprovider.Op, _ string, _, in resource.PropertyMap) (resource.PropertyMap, error) {
	if !op.Preview {
		return nil, errApply
	}
	return in, nil
}

func (unreachableCluster) Delete(context.Context, testprovider.Op, string, resource.PropertyMap) error {
	return errApply
}

func main() {
	testprovider.Main(&testprovider.Provider{Name: "kubernetes", Version: "4.33.0", Fallback: unreachableCluster{}})
}
