package upstream

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"sync"
)

// KubeVIPFacts are the pinned kube-vip release's names: the environment
// variables its manager reads (with the parse each value goes through),
// the defaults the program relies on, the image, the capabilities its own
// manifest generator grants and the RBAC its DaemonSet form needs.
type KubeVIPFacts struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Source  Source `json:"source"`
	Image   string `json:"image"`
	Command string `json:"command"`
	// Env maps each variable name to bool, int, uint or string.
	Env          map[string]string `json:"env"`
	Defaults     map[string]string `json:"defaults"`
	Capabilities []string          `json:"capabilities"`
	HostNetwork  bool              `json:"hostNetwork"`
	RBAC         struct {
		Kind           string       `json:"kind"`
		Name           string       `json:"name"`
		ServiceAccount string       `json:"serviceAccount"`
		Rules          []PolicyRule `json:"rules"`
	} `json:"rbac"`
}

// PolicyRule is one RBAC rule of a fact table.
type PolicyRule struct {
	APIGroups []string `json:"apiGroups"`
	Resources []string `json:"resources"`
	Verbs     []string `json:"verbs"`
}

//go:embed facts/kube-vip-v1.2.2.json
var kubeVIPFile []byte

var (
	kubeVIPOnce  sync.Once
	kubeVIPFacts *KubeVIPFacts
	kubeVIPErr   error
)

// KubeVIP returns the kube-vip fact table.
func KubeVIP() (*KubeVIPFacts, error) {
	kubeVIPOnce.Do(func() {
		var f KubeVIPFacts
		if err := json.Unmarshal(kubeVIPFile, &f); err != nil {
			kubeVIPErr = fmt.Errorf("kube-vip facts: %w", err)
			return
		}
		kubeVIPFacts = &f
	})
	return kubeVIPFacts, kubeVIPErr
}

// CheckKubeVIPEnv reports every variable that the pinned kube-vip does not
// read, and every value its parse would reject (kube-vip exits on those).
func CheckKubeVIPEnv(env map[string]string) []string {
	f, err := KubeVIP()
	if err != nil {
		return []string{err.Error()}
	}
	var problems []string
	for name, value := range env {
		kind, ok := f.Env[name]
		if !ok {
			problems = append(problems, fmt.Sprintf("env %s: kube-vip %s does not read it", name, f.Version))
			continue
		}
		if err := checkKind(kind, value); err != nil {
			problems = append(problems, fmt.Sprintf("env %s=%q: %v", name, value, err))
		}
	}
	sort.Strings(problems)
	return problems
}

// checkKind parses value the way kube-vip's config reader does.
func checkKind(kind, value string) error {
	var err error
	switch kind {
	case "bool":
		_, err = strconv.ParseBool(value)
	case "int":
		_, err = strconv.ParseInt(value, 10, 32)
	case "uint":
		_, err = strconv.ParseUint(value, 10, 32)
	case "string":
	default:
		err = fmt.Errorf("unknown kind %q in the fact table", kind)
	}
	return err
}
