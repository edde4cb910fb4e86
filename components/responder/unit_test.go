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
	b, err := RenderUnit(UnitInput{Port: 2801, MaxConnections: 1024})
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

// TestTokenUnits_SystemdAnalyze verifies the token refresher's service and
// timer with systemd's own parser.
func TestTokenUnits_SystemdAnalyze(t *testing.T) {
	sa, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze not installed")
	}
	_, unit, timer, _, err := RenderToken(TokenInput{Namespace: "falco-responder"})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	svc := filepath.Join(dir, TokenUnitName)
	if err := os.WriteFile(svc, []byte(strings.ReplaceAll(string(unit), TokenScriptPath, "/bin/true")), 0o644); err != nil {
		t.Fatal(err)
	}
	tmr := filepath.Join(dir, TokenTimerName)
	if err := os.WriteFile(tmr, timer, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(sa, "verify", svc, tmr).CombinedOutput(); err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
}
