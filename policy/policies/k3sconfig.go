package policies

import (
	"path"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"
	"sigs.k8s.io/yaml"
)

// k3s config file locations: the main file and its drop-in directory.
const (
	k3sConfigPath   = "/etc/rancher/k3s/config.yaml"
	k3sConfigDropIn = "/etc/rancher/k3s/config.yaml.d/"
)

// serverOnlyKeys appear only in a server's config; they tell a server's
// file from an agent's when the resource's parents do not say.
var serverOnlyKeys = []string{"cluster-init", "advertise-address", "tls-san", "kube-apiserver-arg", "secrets-encryption",
	"agent-token-file", "cluster-cidr", "service-cidr", "disable", "write-kubeconfig-mode", "datastore-endpoint"}

// k3sConfig is one parsed k3s config file on one node.
type k3sConfig struct {
	file hostFile
	// dropIn files (config.yaml.d/*.yaml) are merged over config.yaml: a
	// key replaces the main file's value, "key+" appends to a list.
	dropIn bool
	server bool
	m      map[string]any
}

// asK3sConfig parses the resource as a k3s config file. ok is false for
// other resources and while the content is not known.
func asK3sConfig(r policyx.AnalyzerResource) (*k3sConfig, bool) {
	f, ok := asHostFile(r)
	if !ok || f.unknown {
		return nil, false
	}
	dropIn := strings.HasPrefix(f.path, k3sConfigDropIn) && (path.Ext(f.path) == ".yaml" || path.Ext(f.path) == ".yml")
	if f.path != k3sConfigPath && !dropIn {
		return nil, false
	}
	var m map[string]any
	if err := yaml.Unmarshal([]byte(f.text), &m); err != nil || m == nil {
		m = map[string]any{}
	}
	k := &k3sConfig{file: f, dropIn: dropIn, m: m}
	switch {
	case strings.Contains(r.URN, "k3s-onprem:k3s:Server$"):
		k.server = true
	case strings.Contains(r.URN, "k3s-onprem:k3s:Agent$"):
	default:
		for _, key := range serverOnlyKeys {
			if _, ok := m[key]; ok {
				k.server = true
			}
		}
	}
	return k, true
}

// where names the file for messages.
func (k *k3sConfig) where() string { return k.file.path + " on " + k.file.host }

// value returns a top-level key as written; ok is false when it is absent.
func (k *k3sConfig) value(key string) (any, bool) {
	v, ok := k.m[key]
	return v, ok
}

// boolFlag reads a boolean flag, accepting true/false and "true"/"false".
func (k *k3sConfig) boolFlag(key string) (b, set bool) {
	v, ok := k.m[key]
	if !ok {
		return false, false
	}
	switch t := v.(type) {
	case bool:
		return t, true
	case string:
		return strings.EqualFold(t, "true"), true
	}
	return false, true
}

// requireTrue checks a boolean flag the hardening turns on: the main file
// must set it, a drop-in must not turn it off.
func (k *k3sConfig) requireTrue(key, why string) []string {
	b, set := k.boolFlag(key)
	switch {
	case set && !b:
		return []string{k.where() + " sets " + key + " to false: " + why}
	case !set && !k.dropIn:
		return []string{k.where() + " does not set " + key + ": true: " + why}
	}
	return nil
}

// args is one component's argument list (kube-apiserver-arg, kubelet-arg).
type args struct {
	vals map[string]string
	// full: this list is the whole list the component gets (the main file,
	// or a drop-in that replaces it); otherwise it only appends.
	full bool
}

// args reads "<component>-arg" (and "<component>-arg+" in drop-ins). Later
// occurrences of a flag win, as on a command line.
func (k *k3sConfig) args(component string) args {
	a := args{vals: map[string]string{}}
	for _, key := range []string{component + "-arg", component + "-arg+"} {
		v, ok := k.m[key]
		if !ok {
			continue
		}
		if !strings.HasSuffix(key, "+") {
			a.full = true
		}
		var list []any
		switch t := v.(type) {
		case []any:
			list = t
		case string:
			list = []any{t}
		}
		for _, e := range list {
			s, _ := e.(string)
			name, value, _ := strings.Cut(strings.TrimLeft(s, "-"), "=")
			a.vals[name] = value
		}
	}
	if !k.dropIn {
		a.full = true
	}
	return a
}

func (a args) get(name string) (string, bool) {
	v, ok := a.vals[name]
	return v, ok
}

// k3sRule completes a resource rule declaration with a check over k3s
// config files.
func k3sRule(r resourceRule, check func(env *Env, k *k3sConfig) []string) resourceRule {
	r.check = func(c *resourceCheck) {
		k, ok := asK3sConfig(c.r)
		if !ok {
			return
		}
		for _, p := range check(c.env, k) {
			c.report("%s", p)
		}
	}
	return r
}
