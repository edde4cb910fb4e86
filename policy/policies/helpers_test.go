package policies

import (
	"fmt"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/asset"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
)

// recorder is a PolicyManager that keeps what a policy reports.
type recorder struct{ msgs []string }

func (r *recorder) ReportViolation(message, _ string) { r.msgs = append(r.msgs, message) }

// devEnv is a stack environment like the dev stack's.
func devEnv() Env {
	e := Env{Stack: "dev", VIP: "10.203.0.100", K3sVersion: "v1.34.4+k3s1"}
	e.normalize()
	return e
}

func prodEnv() Env {
	e := devEnv()
	e.Stack, e.Prod = "prod", true
	return e
}

// pv builds a property value from plain Go data; property.Values pass
// through, so secrets and unknowns can sit anywhere in a fixture.
func pv(x any) property.Value {
	switch t := x.(type) {
	case property.Value:
		return t
	case nil:
		return property.Value{}
	case string:
		return property.New(t)
	case bool:
		return property.New(t)
	case int:
		return property.New(float64(t))
	case float64:
		return property.New(t)
	case []any:
		out := make([]property.Value, len(t))
		for i, e := range t {
			out[i] = pv(e)
		}
		return property.New(out)
	case []string:
		out := make([]property.Value, len(t))
		for i, e := range t {
			out[i] = pv(e)
		}
		return property.New(out)
	case map[string]any:
		out := map[string]property.Value{}
		for k, e := range t {
			out[k] = pv(e)
		}
		return property.New(out)
	}
	panic(fmt.Sprintf("pv: unsupported %T", x))
}

func props(m map[string]any) property.Map { return pv(m).AsMap() }

var (
	computed = property.New(property.Computed)
	// computedSecret is what a secret output looks like before it resolves.
	computedSecret = property.New(property.Computed).WithSecret(true)
)

func secret(x any) property.Value { return pv(x).WithSecret(true) }

// res builds an analyzer resource.
func res(typ, name string, p map[string]any) policyx.AnalyzerResource {
	return policyx.AnalyzerResource{Type: typ, Name: name, URN: "urn:pulumi:dev::k3s-onprem::" + typ + "::" + name, Properties: props(p)}
}

// textAsset is a CopyToRemote source.
func textAsset(t *testing.T, text string) property.Value {
	t.Helper()
	a, err := asset.FromText(text)
	if err != nil {
		t.Fatal(err)
	}
	return property.New(a)
}

const hostKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOs99n8cWJ4eTv+c84sOlW7wds6rKS96e9ABPJOVVSlj"

// conn is a compliant, secret connection; edit adjusts it before it is
// made secret.
func conn(edit func(m map[string]any)) property.Value {
	m := map[string]any{"host": "10.203.0.11", "port": 22, "user": "root", "hostKey": hostKey, "privateKey": "PEM"}
	if edit != nil {
		edit(m)
	}
	return secret(m)
}

// copyFile is a CopyToRemote staged the way hoststep stages files; parent
// is the component type in the URN ("" for none).
func copyFile(t *testing.T, parent, finalPath, text string) policyx.AnalyzerResource {
	t.Helper()
	staged := "/var/lib/k3s-onprem/steps/k3s-config/root" + strings.ReplaceAll(finalPath, "/", "__")
	r := res("command:remote:CopyToRemote", "dev-server-1-k3s-config-copy", map[string]any{
		"connection": conn(nil), "remotePath": staged, "source": textAsset(t, text),
	})
	if parent != "" {
		r.URN = "urn:pulumi:dev::k3s-onprem::" + parent + "$command:remote:CopyToRemote::" + r.Name
	}
	return r
}

// wantReports fails unless exactly n reports came back, each containing
// every substring of contains.
func wantReports(t *testing.T, got []string, n int, contains ...string) {
	t.Helper()
	if len(got) != n {
		t.Fatalf("got %d reports, want %d:\n%s", len(got), n, strings.Join(got, "\n"))
	}
	for _, g := range got {
		for _, c := range contains {
			if !strings.Contains(g, c) {
				t.Errorf("report %q does not mention %q", g, c)
			}
		}
	}
}
