package ingress

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// The CRDs come from the module version the typed objects are built from,
// checked against go.sum, and are the standard channel of GatewayAPIVersion.
func TestGatewayAPIFiles_StandardChannelOfThePinnedModule(t *testing.T) {
	files, err := GatewayAPIFiles()
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]bool{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var obj struct {
			Kind     string `json:"kind"`
			Metadata struct {
				Name        string            `json:"name"`
				Annotations map[string]string `json:"annotations"`
			} `json:"metadata"`
		}
		doc, _, _ := strings.Cut(string(b), "\n---")
		if err := yaml.Unmarshal([]byte(doc), &obj); err != nil {
			t.Fatalf("%s: %v", filepath.Base(f), err)
		}
		kinds[obj.Kind+"/"+obj.Metadata.Name] = true
		if obj.Kind == "CustomResourceDefinition" {
			if v, ch := obj.Metadata.Annotations["gateway.networking.k8s.io/bundle-version"], obj.Metadata.Annotations["gateway.networking.k8s.io/channel"]; v != GatewayAPIVersion || ch != "standard" {
				t.Errorf("%s: bundle %s channel %s", obj.Metadata.Name, v, ch)
			}
		}
	}
	for _, want := range []string{"gatewayclasses", "gateways", "httproutes", "referencegrants", "grpcroutes"} {
		if !kinds["CustomResourceDefinition/"+want+".gateway.networking.k8s.io"] {
			t.Errorf("no %s CRD in %v", want, kinds)
		}
	}
	manifests, err := gatewayAPIManifests()
	if err != nil || strings.Count(manifests, "---\n") < len(files) {
		t.Errorf("manifests: %d bytes, %v", len(manifests), err)
	}
}
