package stacks

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
)

// The CLI inserts the `default:` of every Pulumi.yaml key a stack file
// omits (as a string, objects as JSON) before the program runs. Those
// defaults must mean "the program's own defaults": the spec decoded with
// them equals the spec decoded from the stack file alone, which is what the
// offline render and the mocks see. Only keys the program cannot do
// without stay required.
func TestProjectDefaultsChangeNothing(t *testing.T) {
	p, err := workspace.LoadProject("../Pulumi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var required []string
	for k, c := range p.Config {
		if c.Default == nil {
			required = append(required, k)
		}
	}
	wantRequired := map[string]bool{"nodes": true, "network": true, "vip": true}
	for _, k := range required {
		if !wantRequired[k] {
			t.Errorf("Pulumi.yaml: %s has no default, so the CLI requires it although the program does not", k)
		}
	}
	if len(required) != len(wantRequired) {
		t.Errorf("required keys %v, want %v", required, wantRequired)
	}
	for _, stack := range []string{"dev", "prod"} {
		sf, err := ReadStackFile("../Pulumi." + stack + ".yaml")
		if err != nil {
			t.Fatal(err)
		}
		sf.withPlaceholders()
		merged := map[string]string{}
		for k, v := range sf.Raw {
			merged[k] = v
		}
		for k, c := range p.Config {
			if _, ok := merged[k]; ok || c.Default == nil {
				continue
			}
			switch d := c.Default.(type) {
			case string, bool, int:
				merged[k] = fmt.Sprint(d)
			default:
				b, err := json.Marshal(d)
				if err != nil {
					t.Fatal(err)
				}
				merged[k] = string(b)
			}
		}
		want, v1 := Decode(stack, sf.Raw)
		got, v2 := Decode(stack, merged)
		if err := v1.Err(); err != nil {
			t.Fatalf("%s: %v", stack, err)
		}
		if err := v2.Err(); err != nil {
			t.Errorf("%s with the CLI's defaults: %v", stack, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: the CLI's defaults change the spec:\n got %+v\nwant %+v", stack, got, want)
		}
	}
}
