package responder

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

// The responder is deployed as a binary built from this module when the
// Pulumi program runs, rather than as an image or a release download:
// the operator already has the Go toolchain (Pulumi compiles this Go
// program), nothing needs a registry or a download on the hosts, and the
// binary on the servers always matches the program that deployed it.
// Builder.Prebuilt takes a binary built elsewhere instead (air-gapped
// operators, release pipelines).

// ModulePackage is the responder's main package.
const ModulePackage = "k3s-onprem/cmd/responder"

// sourceDirs are the module directories the binary is built from. A test
// checks them against `go list -deps`, so the cache key cannot miss one.
var sourceDirs = []string{"cmd/responder", "internal/responder", "internal/namespaces"}

// Builder builds (or takes) the responder binary for linux/<arch>.
type Builder struct {
	// ModuleDir is the module root (holds go.mod). Found from the working
	// directory when empty.
	ModuleDir string
	// CacheDir holds built binaries by content; default
	// $XDG_CACHE_HOME/k3s-onprem/responder.
	CacheDir string
	// Prebuilt maps an arch to a binary built elsewhere; it wins over a build.
	Prebuilt map[string]string
}

// PrebuiltEnvPrefix + ARCH (e.g. K3S_ONPREM_RESPONDER_BINARY_AMD64) names
// a responder binary built elsewhere, for operators without the Go
// toolchain beside the program or with a release pipeline.
const PrebuiltEnvPrefix = "K3S_ONPREM_RESPONDER_BINARY_"

// BuilderFromEnvironment builds the responder for each arch when the
// program runs, except where PrebuiltEnvPrefix+ARCH names a binary.
func BuilderFromEnvironment(arches []string) Builder {
	b := Builder{Prebuilt: map[string]string{}}
	for _, arch := range arches {
		if p := os.Getenv(PrebuiltEnvPrefix + strings.ToUpper(arch)); p != "" {
			b.Prebuilt[arch] = p
		}
	}
	return b
}

// Binary returns the path and sha256 of the binary for arch (amd64, arm64).
// Builds are content-addressed (toolchain, arch, go.mod, go.sum and the
// source files): an unchanged tree costs a hash, not a build, which keeps
// previews and the mocked graph tests fast.
func (b Builder) Binary(arch string) (path, sha string, err error) {
	if p, ok := b.Prebuilt[arch]; ok {
		sha, err := fileSHA256(p)
		if err != nil {
			return "", "", fmt.Errorf("prebuilt responder for %s: %w", arch, err)
		}
		return p, sha, nil
	}
	mod := b.ModuleDir
	if mod == "" {
		if mod, err = findModule(); err != nil {
			return "", "", err
		}
	}
	cache := b.CacheDir
	if cache == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			return "", "", fmt.Errorf("responder build cache: %w", err)
		}
		cache = filepath.Join(base, "k3s-onprem", "responder")
	}
	goVersion, err := output(mod, "go", "env", "GOVERSION")
	if err != nil {
		return "", "", fmt.Errorf("responder build needs the Go toolchain: %w", err)
	}
	key, err := sourceKey(mod, goVersion, arch)
	if err != nil {
		return "", "", err
	}
	out := filepath.Join(cache, key[:32], "linux-"+arch, "k3s-onprem-responder")
	if _, err := os.Stat(out); err != nil {
		if err := build(mod, arch, out); err != nil {
			return "", "", err
		}
	}
	sha, err = fileSHA256(out)
	return out, sha, err
}

// build runs go build with flags that make the output depend only on the
// sources and the toolchain (no paths, VCS stamps or build IDs), so two
// operators deploying the same commit produce the same file and no diff.
func build(mod, arch, out string) error {
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	// A unique temporary name: test packages (and two operators' runs) may
	// build the same binary at once; the rename makes the winner atomic.
	f, err := os.CreateTemp(filepath.Dir(out), filepath.Base(out)+".*.tmp")
	if err != nil {
		return err
	}
	tmp := f.Name()
	f.Close()
	defer os.Remove(tmp)
	cmd := exec.Command("go", "build", "-trimpath", "-buildvcs=false", "-ldflags=-s -w -buildid=", "-o", tmp, ModulePackage)
	cmd.Dir = mod
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH="+arch, "CGO_ENABLED=0", "GOFLAGS=-mod=readonly")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build %s for linux/%s: %w\n%s", ModulePackage, arch, err, stderr.String())
	}
	return os.Rename(tmp, out)
}

// sourceKey hashes everything the binary is built from.
func sourceKey(mod, goVersion, arch string) (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00linux/%s\x00", strings.TrimSpace(goVersion), arch)
	var paths []string
	for _, f := range []string{"go.mod", "go.sum"} {
		paths = append(paths, filepath.Join(mod, f))
	}
	for _, d := range sourceDirs {
		err := filepath.WalkDir(filepath.Join(mod, d), func(p string, e fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if e.IsDir() {
				if e.Name() == "testdata" {
					return filepath.SkipDir
				}
				return nil
			}
			if strings.HasSuffix(p, "_test.go") || strings.HasSuffix(p, ".md") {
				return nil
			}
			paths = append(paths, p)
			return nil
		})
		if err != nil {
			return "", fmt.Errorf("hash responder sources: %w", err)
		}
	}
	sort.Strings(paths)
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return "", err
		}
		rel, _ := filepath.Rel(mod, p)
		fmt.Fprintf(h, "%s\x00%d\x00", filepath.ToSlash(rel), len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// findModule walks up from the working directory (Pulumi runs the program
// in the project directory, tests in their package) to this module's go.mod.
func findModule() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.HasPrefix(bytes.TrimSpace(b), []byte("module k3s-onprem\n")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("responder build: no k3s-onprem go.mod above the working directory; set Builder.ModuleDir or Prebuilt")
		}
		dir = parent
	}
}

func output(dir string, name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	b, err := cmd.Output()
	return strings.TrimSpace(string(b)), err
}

func fileSHA256(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
