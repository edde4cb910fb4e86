package host

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"k3s-onprem/internal/hoststep"
)

func bashSyntaxCheck(t *testing.T, name string, s hoststep.Step) {
	t.Helper()
	b, err := s.Render()
	if err != nil {
		t.Fatal(err)
	}
	script := b.Files[len(b.Files)-1]
	path := filepath.Join(t.TempDir(), name+".sh")
	if err := os.WriteFile(path, script.Content, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("bash", "-n", path).CombinedOutput(); err != nil {
		t.Errorf("%s: bash -n: %v\n%s", name, err, out)
	}
}
