package policies

import (
	"encoding/json"
	"strings"

	"k3s-onprem/internal/namespaces"
)

// ConfigNamespace is the project's config namespace; the pack reads a few
// plain (non-secret) stack config keys from it.
const ConfigNamespace = "k3s-onprem"

// EnvironmentKey is the stack config key that marks a stack as production
// besides its name: `pulumi config set environment prod`.
const EnvironmentKey = ConfigNamespace + ":environment"

// Env is what the pack knows about the stack besides its resources. It is
// read once from the stack config when the engine configures the pack, so
// the policies judge resources against the stack's own declarations (which
// namespaces are exempt and why, the VIP, the k3s version).
type Env struct {
	Stack string
	// Prod marks a production stack: policy config may not disable policies.
	Prod bool
	// Exempt maps each namespace exempt from Pod Security to its reason.
	// The registry's system exemptions (kube-system) always count; the others
	// come from podSecurity.exemptNamespaces, and only entries with a reason
	// count.
	Exempt map[string]string
	// VIP is vip.address, the API address clients use.
	VIP string
	// K3sVersion is k3s.version (a full release tag when valid).
	K3sVersion string
	// PSP marks a PodSecurityPolicy cluster (podSecurity.mode psp, or k3s
	// 1.24 and older): there namespaces carry no PSA labels and PSPs
	// decide what pods may do.
	PSP bool
}

func (e *Env) normalize() {
	if e.Exempt == nil {
		e.Exempt = map[string]string{}
	}
	for _, x := range namespaces.PSAExemptions() {
		if _, ok := e.Exempt[x.Namespace]; !ok {
			e.Exempt[x.Namespace] = x.Reason
		}
	}
}

// IsProdStack reports whether a stack is production: it is named prod or
// production, or its config sets environment to prod or production.
func IsProdStack(stack, environment string) bool {
	isProd := func(s string) bool {
		s = strings.ToLower(strings.TrimSpace(s))
		return s == "prod" || s == "production"
	}
	return isProd(stack) || isProd(environment)
}

// EnvFromConfig builds the Env from stack config. get looks a full key
// ("k3s-onprem:vip") up the way pulumi.Context.GetConfig does. Malformed
// values are ignored: the program's own validation reports them, and the
// policies then fall back to what the resources say.
func EnvFromConfig(stack string, get func(key string) (string, bool)) Env {
	env := Env{Stack: stack, Exempt: map[string]string{}}
	envName, _ := get(EnvironmentKey)
	env.Prod = IsProdStack(stack, unquote(envName))
	mode := ""
	if v, ok := get(ConfigNamespace + ":podSecurity"); ok {
		var ps struct {
			Mode             string `json:"mode"`
			ExemptNamespaces []struct {
				Namespace string `json:"namespace"`
				Reason    string `json:"reason"`
			} `json:"exemptNamespaces"`
		}
		if json.Unmarshal([]byte(v), &ps) == nil {
			mode = ps.Mode
			for _, e := range ps.ExemptNamespaces {
				if strings.TrimSpace(e.Reason) != "" {
					env.Exempt[e.Namespace] = e.Reason
				}
			}
		}
	}
	if v, ok := get(ConfigNamespace + ":vip"); ok {
		var vip struct {
			Address string `json:"address"`
		}
		if json.Unmarshal([]byte(v), &vip) == nil {
			env.VIP = vip.Address
		}
	}
	if v, ok := get(ConfigNamespace + ":k3s"); ok {
		var k struct {
			Version string `json:"version"`
		}
		if json.Unmarshal([]byte(v), &k) == nil {
			env.K3sVersion = k.Version
		}
	}
	minor, known := kubeMinor(env.K3sVersion)
	env.PSP = mode == "psp" || (mode == "" && known && minor <= 24)
	env.normalize()
	return env
}

// unquote accepts a config value stored either raw or JSON-encoded.
func unquote(s string) string {
	var out string
	if json.Unmarshal([]byte(s), &out) == nil {
		return out
	}
	return s
}
