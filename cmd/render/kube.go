package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"sigs.k8s.io/yaml"

	"k3s-onprem/components/podsecurity"
	"k3s-onprem/internal/namespaces"
	"k3s-onprem/internal/plan"
)

// writeKubeObjects writes every Kubernetes object the plan registers (not
// Helm releases, whose values writeHelmValues writes) as
// cluster/<namespace>/<kind>-<name>.yaml, cluster-scoped objects under
// cluster/_cluster/, and patches as <kind>-<name>.patch.yaml. The content
// is the resource's registered input, secrets redacted, without the empty
// lists and maps the SDK adds for unset fields. It also writes the
// documented starting point for namespaces created later.
func writeKubeObjects(p *plan.Plan, out string) error {
	for _, r := range p.Resources {
		if !r.Custom || !strings.HasPrefix(r.Type, "kubernetes:") || strings.HasPrefix(r.Type, "kubernetes:helm.sh/") {
			continue
		}
		obj, ok := prune(redactMap(r)).(map[string]any)
		if !ok {
			continue
		}
		md, _ := obj["metadata"].(map[string]any)
		kind, _ := obj["kind"].(string)
		name, _ := md["name"].(string)
		ns, _ := md["namespace"].(string)
		if ns == "" {
			ns = "_cluster"
		}
		file := strings.ToLower(kind) + "-" + name
		if strings.HasSuffix(r.Type, "Patch") {
			file += ".patch"
		}
		if err := writeYAML(filepath.Join(out, "cluster", ns, file+".yaml"), obj); err != nil {
			return fmt.Errorf("%s: %w", r.Name, err)
		}
	}
	return writeNewNamespaceTemplate(p, out)
}

// writeNewNamespaceTemplate renders podsecurity.NewNamespaceTemplate,
// letting in traffic from the ingress controllers' namespaces this stack
// creates.
func writeNewNamespaceTemplate(p *plan.Plan, out string) error {
	// Any implementation's controller namespaces (ingress-nginx, traefik).
	ingressNamespaces := namespaces.ByOwner("ingress")
	var ingressNS []string
	for _, r := range p.OfType("kubernetes:helm.sh/v3:Release") {
		if ns := plan.Str(r.Inputs, "namespace"); slices.Contains(ingressNamespaces, ns) {
			ingressNS = append(ingressNS, ns)
		}
	}
	ns, sa, pols := podsecurity.NewNamespaceTemplate("my-app", ingressNS)
	objs := []any{&ns, &sa}
	for i := range pols {
		objs = append(objs, &pols[i])
	}
	y, err := podsecurity.YAML(objs...)
	if err != nil {
		return err
	}
	head := "# Starting point for a namespace created after the stack ran: rename\n" +
		"# my-app, apply, then add allow policies for what the workload needs.\n"
	return writeFile(filepath.Join(out, "cluster", "templates", "new-namespace.yaml"), append([]byte(head), y...))
}

func redactMap(r *plan.Resource) any {
	m := map[string]any{}
	for k, v := range r.Inputs {
		m[string(k)] = redact(v)
	}
	return m
}

// prune drops empty lists and maps (the SDK sends unset fields that way).
func prune(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			e = prune(e)
			if m, ok := e.(map[string]any); e == nil || ok && len(m) == 0 {
				delete(x, k)
			} else if a, ok := e.([]any); ok && len(a) == 0 {
				delete(x, k)
			} else {
				x[k] = e
			}
		}
	case []any:
		for i := range x {
			x[i] = prune(x[i])
		}
	}
	return v
}

func writeYAML(path string, v any) error {
	b, err := yaml.Marshal(v)
	if err != nil {
		return err
	}
	return writeFile(path, b)
}

func writeFile(path string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return writeNew(path, b)
}
