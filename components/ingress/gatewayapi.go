package ingress

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"

	"golang.org/x/mod/module"
	"golang.org/x/mod/sumdb/dirhash"
)

// The Gateway API release the Traefik implementation installs: the
// standard channel the Traefik chart names for Traefik v3.7 (its README,
// "Gateway API CRDs", at v41.3.0). The typed GatewayClass and Gateway come
// from the same Go module version, so the objects and the CRDs that
// validate them cannot drift apart.
const (
	GatewayAPIModule  = "sigs.k8s.io/gateway-api"
	GatewayAPIVersion = "v1.5.1"
	// gatewayAPIStandard is the standard channel's directory in the module.
	gatewayAPIStandard = "config/crd/standard"
)

// GatewayAPIFiles are the standard channel's manifests (the CRDs and the
// safe-upgrades ValidatingAdmissionPolicy), read from the Go module cache
// copy of GatewayAPIModule that this program was built with, after checking
// that copy against the module's go.sum hash: the files are pinned by
// checksum, not fetched from a URL, and not copied into this repository.
func GatewayAPIFiles() ([]string, error) {
	dir, sum, err := gatewayAPIModule()
	if err != nil {
		return nil, err
	}
	got, err := dirhash.HashDir(dir, GatewayAPIModule+"@"+GatewayAPIVersion, dirhash.Hash1)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w; run `go mod download %s@%s` in the project directory", GatewayAPIModule, GatewayAPIVersion, err, GatewayAPIModule, GatewayAPIVersion)
	}
	if got != sum {
		return nil, fmt.Errorf("%s: module cache copy hashes to %s, go.sum says %s; run `go clean -modcache` and `go mod download`", dir, got, sum)
	}
	files, err := filepath.Glob(filepath.Join(dir, gatewayAPIStandard, "*.yaml"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%s: no manifests in %s", dir, gatewayAPIStandard)
	}
	sort.Strings(files)
	return files, nil
}

// gatewayAPIModule is the module's directory in the Go module cache and
// its go.sum hash: from the build information of this binary when it
// records its dependencies (a built program), else from `go list -m` in
// the working directory (the project, or a package under test).
func gatewayAPIModule() (dir, sum string, err error) {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path != GatewayAPIModule {
				continue
			}
			if d.Replace != nil {
				d = d.Replace
			}
			if d.Version != GatewayAPIVersion || d.Sum == "" {
				return "", "", fmt.Errorf("built with %s %s (sum %q), the component pins %s: align go.mod", GatewayAPIModule, d.Version, d.Sum, GatewayAPIVersion)
			}
			dir, err := gatewayAPIDir()
			return dir, d.Sum, err
		}
	}
	out, err := exec.Command("go", "list", "-m", "-json", GatewayAPIModule).Output()
	if err != nil {
		return "", "", fmt.Errorf("locating %s (go list -m): %w", GatewayAPIModule, err)
	}
	var m struct{ Version, Dir, Sum string }
	if err := json.Unmarshal(out, &m); err != nil {
		return "", "", err
	}
	if m.Version != GatewayAPIVersion || m.Dir == "" || m.Sum == "" {
		return "", "", fmt.Errorf("go.mod requires %s %s (dir %q, sum %q), the component pins %s: align go.mod and run go mod download", GatewayAPIModule, m.Version, m.Dir, m.Sum, GatewayAPIVersion)
	}
	return m.Dir, m.Sum, nil
}

// gatewayAPIDir is where the Go command keeps the module's files.
func gatewayAPIDir() (string, error) {
	cache := os.Getenv("GOMODCACHE")
	if cache == "" {
		out, err := exec.Command("go", "env", "GOMODCACHE").Output()
		if err != nil {
			return "", fmt.Errorf("locating the Go module cache (go env GOMODCACHE): %w", err)
		}
		cache = strings.TrimSpace(string(out))
	}
	esc, err := module.EscapePath(GatewayAPIModule)
	if err != nil {
		return "", err
	}
	return filepath.Join(cache, esc+"@"+GatewayAPIVersion), nil
}
