package apiserver

import (
	"os"
	"path/filepath"
	"testing"
)

type binaries struct {
	apiserver, controllerManager, etcd string
	kubeVersion                        string
}

// cacheDir is where tests/realapi/build.sh puts its output; both must agree.
func cacheDir() string {
	base := os.Getenv("XDG_CACHE_HOME")
	if base == "" {
		home, _ := os.UserHomeDir()
		base = filepath.Join(home, ".cache")
	}
	return filepath.Join(base, "k3s-onprem", "realapi")
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// locateBinaries returns the cached binary paths and the ones that are missing.
func locateBinaries() (binaries, []string) {
	kv := KubeVersion()
	ev := envOr("ETCD_VERSION", defaultEtcdVersion)
	kubeDir := filepath.Join(cacheDir(), "kube-"+kv)
	b := binaries{
		apiserver:         filepath.Join(kubeDir, "kube-apiserver"),
		controllerManager: filepath.Join(kubeDir, "kube-controller-manager"),
		etcd:              filepath.Join(cacheDir(), "etcd-"+ev, "etcd"),
		kubeVersion:       kv,
	}
	var missing []string
	for _, p := range []string{b.apiserver, b.controllerManager, b.etcd} {
		if st, err := os.Stat(p); err != nil || st.IsDir() || st.Mode()&0o111 == 0 {
			missing = append(missing, p)
		}
	}
	return b, missing
}

// requireBinaries skips the test when this tier cannot run here (not root,
// binaries not built). Under CI=true the same conditions fail the test:
// CI builds the binaries first, so their absence is a bug, and a skipped
// tier would let CI pass while proving nothing.
func requireBinaries(t testing.TB) binaries {
	t.Helper()
	stop := t.Skipf
	if os.Getenv("CI") == "true" {
		stop = t.Fatalf
	}
	if os.Geteuid() != 0 {
		stop("realapi: the real-API-server tier runs as root (design.md §4); euid is %d", os.Geteuid())
	}
	b, missing := locateBinaries()
	if len(missing) > 0 {
		stop("realapi: missing %v; build them with: bash tests/realapi/build.sh", missing)
	}
	return b
}

// StaticBinaries returns the built kube-apiserver and etcd (static, so they
// run on any lab host too) and the Kubernetes version, with the same skip
// rules as Start.
func StaticBinaries(t testing.TB) (kubeAPIServer, etcd, kubeVersion string) {
	t.Helper()
	b := requireBinaries(t)
	return b.apiserver, b.etcd, b.kubeVersion
}

// Kubectl returns the built kubectl of the same version (what k3s embeds
// as `k3s kubectl`), with the same skip rules as Start.
func Kubectl(t testing.TB) string {
	t.Helper()
	b := requireBinaries(t)
	p := filepath.Join(filepath.Dir(b.apiserver), "kubectl")
	if st, err := os.Stat(p); err != nil || st.Mode()&0o111 == 0 {
		stop := t.Skipf
		if os.Getenv("CI") == "true" {
			stop = t.Fatalf
		}
		stop("realapi: missing %s; build it with: bash tests/realapi/build.sh", p)
	}
	return p
}
