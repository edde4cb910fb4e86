package upstream

import (
	"embed"
	"encoding/json"
	"fmt"
	"sort"
	"sync"
)

// FlagKind is the type of a k3s flag as its command line declares it:
// string, bool, int, int64, uint, uint64, float64, duration, string-slice,
// int-slice, int64-slice, generic, timestamp.
type FlagKind string

// Flag kinds the checks treat specially.
const (
	FlagString      FlagKind = "string"
	FlagBool        FlagKind = "bool"
	FlagInt         FlagKind = "int"
	FlagDuration    FlagKind = "duration"
	FlagStringSlice FlagKind = "string-slice"
)

// K3sCommand is one k3s command's flags (name -> kind) and aliases
// (alias -> flag name).
type K3sCommand struct {
	Flags   map[string]FlagKind `json:"flags"`
	Aliases map[string]string   `json:"aliases,omitempty"`
}

// Lookup returns the flag a config.yaml key names (a flag name or an
// alias) and its kind.
func (c K3sCommand) Lookup(key string) (name string, kind FlagKind, ok bool) {
	if k, ok := c.Flags[key]; ok {
		return key, k, true
	}
	if n, ok := c.Aliases[key]; ok {
		return n, c.Flags[n], true
	}
	return "", "", false
}

// K3sFacts are the flags of `k3s server` and `k3s agent` for one
// Kubernetes minor.
type K3sFacts struct {
	Minor  int        `json:"minor"`
	Source Source     `json:"source"`
	Server K3sCommand `json:"server"`
	Agent  K3sCommand `json:"agent"`
}

// Command returns the server or agent flags.
func (f *K3sFacts) Command(role string) (K3sCommand, error) {
	switch role {
	case "server":
		return f.Server, nil
	case "agent":
		return f.Agent, nil
	}
	return K3sCommand{}, fmt.Errorf("k3s command %q: want server or agent", role)
}

//go:embed facts/k3s-v1.*.json
var k3sFiles embed.FS

var (
	k3sOnce  sync.Once
	k3sByMin map[int]*K3sFacts
	k3sErr   error
)

func loadK3s() {
	k3sByMin = map[int]*K3sFacts{}
	entries, err := k3sFiles.ReadDir("facts")
	if err != nil {
		k3sErr = err
		return
	}
	for _, e := range entries {
		b, err := k3sFiles.ReadFile("facts/" + e.Name())
		if err != nil {
			k3sErr = err
			return
		}
		var f K3sFacts
		if err := json.Unmarshal(b, &f); err != nil {
			k3sErr = fmt.Errorf("facts/%s: %w", e.Name(), err)
			return
		}
		if e.Name() != fmt.Sprintf("k3s-v1.%d.json", f.Minor) {
			k3sErr = fmt.Errorf("facts/%s holds minor %d", e.Name(), f.Minor)
			return
		}
		k3sByMin[f.Minor] = &f
	}
}

// K3s returns the flag facts for Kubernetes minor 1.<minor>.
func K3s(minor int) (*K3sFacts, error) {
	k3sOnce.Do(loadK3s)
	if k3sErr != nil {
		return nil, k3sErr
	}
	f, ok := k3sByMin[minor]
	if !ok {
		return nil, fmt.Errorf("no k3s flag facts for v1.%d (have %v)", minor, K3sMinors())
	}
	return f, nil
}

// K3sFlags returns the flags (name -> kind) of `k3s <role>` for 1.<minor>.
func K3sFlags(minor int, role string) (map[string]FlagKind, error) {
	f, err := K3s(minor)
	if err != nil {
		return nil, err
	}
	c, err := f.Command(role)
	return c.Flags, err
}

// K3sMinors lists the minors with facts, ascending.
func K3sMinors() []int {
	k3sOnce.Do(loadK3s)
	out := make([]int, 0, len(k3sByMin))
	for m := range k3sByMin {
		out = append(out, m)
	}
	sort.Ints(out)
	return out
}
