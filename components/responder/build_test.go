package responder

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestBuild_SourceDirsCoverTheBinary pins the cache key: every package of
// this module the binary imports must be hashed.
func TestBuild_SourceDirsCoverTheBinary(t *testing.T) {
	mod, err := findModule()
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if .Module}}{{if eq .Module.Path \"k3s-onprem\"}}{{.ImportPath}}{{end}}{{end}}", ModulePackage).Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, pkg := range strings.Fields(string(out)) {
		dir := strings.TrimPrefix(pkg, "k3s-onprem/")
		if !slices.Contains(sourceDirs, dir) {
			t.Errorf("the binary imports %s, which the build cache key does not hash", pkg)
		}
	}
	_ = mod
}

func TestBuild_PrebuiltWins(t *testing.T) {
	p := filepath.Join(t.TempDir(), "bin")
	if err := os.WriteFile(p, []byte("x"), 0o755); err != nil {
		t.Fatal(err)
	}
	got, sha, err := Builder{Prebuilt: map[string]string{"arm64": p}}.Binary("arm64")
	if err != nil || got != p || sha != "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881" {
		t.Fatalf("%s %s %v", got, sha, err)
	}
}

// TestBuild_CrossCompilesAndCaches builds the real binary for linux/amd64
// (or finds it in the default cache, which the stacks' graph tests share:
// one build per source change on a machine) and checks that a second call
// is a cache hit.
func TestBuild_CrossCompilesAndCaches(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the responder")
	}
	b := Builder{}
	p1, sha1, err := b.Binary("amd64")
	if err != nil {
		t.Fatal(err)
	}
	st1, _ := os.Stat(p1)
	p2, sha2, err := b.Binary("amd64")
	if err != nil {
		t.Fatal(err)
	}
	st2, _ := os.Stat(p2)
	if p1 != p2 || sha1 != sha2 || !st1.ModTime().Equal(st2.ModTime()) {
		t.Fatalf("second call rebuilt: %s %s", p1, p2)
	}
	head := make([]byte, 4)
	f, _ := os.Open(p1)
	defer f.Close()
	if _, err := f.Read(head); err != nil || string(head) != "\x7fELF" {
		t.Fatalf("not an ELF binary: %q", head)
	}
}

// Concurrent builds of the same binary (parallel test packages, two
// deploys) must not trip over each other's temporary files.
func TestBuild_ConcurrentBuildsOfOneBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the responder")
	}
	b := Builder{CacheDir: t.TempDir()}
	const builders = 6
	errs := make(chan error, builders)
	for i := 0; i < builders; i++ {
		go func() {
			_, _, err := b.Binary("amd64")
			errs <- err
		}()
	}
	for i := 0; i < builders; i++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}
