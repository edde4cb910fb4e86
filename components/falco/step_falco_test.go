package falco

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestHostSteps_ServerAndAgent(t *testing.T) {
	for _, server := range []bool{true, false} {
		steps, err := HostSteps(StepsInput{Version: "0.42.1", Server: server, SidekickURL: SidekickURL("10.43.0.12")})
		if err != nil {
			t.Fatal(err)
		}
		if len(steps) != 1 || steps[0].Name != StepName {
			t.Fatalf("server=%v: %d steps, want the one %s step", server, len(steps), StepName)
		}
		s := steps[0]
		b, err := s.Render()
		if err != nil {
			t.Fatal(err)
		}
		script := b.Files[len(b.Files)-1].Content
		path := filepath.Join(t.TempDir(), "run.sh")
		if err := os.WriteFile(path, script, 0o600); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command("bash", "-n", path).CombinedOutput(); err != nil {
			t.Errorf("bash -n: %v\n%s", err, out)
		}
		text := string(script)
		for _, want := range []string{"FALCO_VERSION='0.42.1'", "FALCO_KEY_FINGERPRINT='" + PackageKeyFingerprint + "'", "FALCO_DRIVER_CHOICE=modern_ebpf", "falco-modern-bpf.service"} {
			if !strings.Contains(text, want) {
				t.Errorf("server=%v: script lacks %s", server, want)
			}
		}
		if got := strings.Contains(text, K8sAuditPluginRef); got != server {
			t.Errorf("server=%v: k8saudit artifacts installed=%v", server, got)
		}
		// Every node installs the pinned extra rule files.
		if want := "FALCO_ARTIFACTS='falco-incubating-rules:6.0.0 falco-sandbox-rules:6.0.0"; !strings.Contains(text, want) {
			t.Errorf("server=%v: script lacks %s", server, want)
		}
		var rules int
		for _, f := range s.Files {
			if strings.HasPrefix(f.Path, RulesDir+"/") {
				rules++
			}
		}
		if rules < 6 {
			t.Errorf("only %d rule files staged", rules)
		}
	}
	if _, err := HostSteps(StepsInput{SidekickURL: "http://x/"}); err == nil {
		t.Error("a step without a version was accepted")
	}
}
