package responder

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestUnit_SystemdAnalyze checks the rendered unit with systemd's own
// tools: `verify` (every directive known and well-formed) and `security
// --offline` (the sandbox scores at most 2.0, "OK", on systemd's 0-10
// exposure scale). The binary path is swapped for /bin/true, which verify
// needs to exist.
func TestUnit_SystemdAnalyze(t *testing.T) {
	sa, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze not installed")
	}
	b, err := RenderUnit(UnitInput{Port: 2801})
	if err != nil {
		t.Fatal(err)
	}
	unit := filepath.Join(t.TempDir(), UnitName)
	if err := os.WriteFile(unit, []byte(strings.ReplaceAll(string(b), BinaryPath, "/bin/true")), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(sa, "verify", unit).CombinedOutput(); err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
	out, err := exec.Command(sa, "security", "--offline=true", "--threshold=20", unit).CombinedOutput()
	if err != nil {
		t.Fatalf("systemd-analyze security: %v\n%s", err, out)
	}
	last := strings.TrimSpace(string(out))
	t.Log(last[strings.LastIndex(last, "\n")+1:])
}
