package upstream

import (
	"embed"
	"encoding/json"
	"fmt"
)

// loadTables reads every facts/<prefix>-<name>-<version>.json of files into
// a map keyed name@version; id gives a table's own name and version, which
// must match its file name.
func loadTables[T any](files embed.FS, prefix string, id func(*T) (name, version string)) (map[string]*T, error) {
	by := map[string]*T{}
	entries, err := files.ReadDir("facts")
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		b, err := files.ReadFile("facts/" + e.Name())
		if err != nil {
			return nil, err
		}
		f := new(T)
		if err := json.Unmarshal(b, f); err != nil {
			return nil, fmt.Errorf("facts/%s: %w", e.Name(), err)
		}
		name, version := id(f)
		if e.Name() != prefix+"-"+name+"-"+version+".json" {
			return nil, fmt.Errorf("facts/%s holds %s %s", e.Name(), name, version)
		}
		by[name+"@"+version] = f
	}
	return by, nil
}
