package stacks

import (
	"strings"
	"testing"

	"k3s-onprem/internal/hoststep"
	"k3s-onprem/internal/plan"
)

// TestGraph_StepScriptsDefineWhatTheyRead: every run.sh the committed
// stacks upload (lib.sh, the step's variables, its script) defines every
// variable it reads under `set -u`. A Vars entry a component forgot made
// the responder step fail on its first real host (SERVICE_USER); this
// finds such a gap in every step of every stack without a host.
func TestGraph_StepScriptsDefineWhatTheyRead(t *testing.T) {
	for _, stack := range []string{"dev", "prod"} {
		p := planStack(t, stack, nil)
		seen := map[string]bool{}
		for _, r := range p.OfType("command:remote:CopyToRemote") {
			path, content, err := plan.CopiedFile(r)
			if err != nil || !strings.HasSuffix(path, "/run.sh") {
				continue
			}
			step := strings.TrimSuffix(path, "/run.sh")
			step = step[strings.LastIndex(step, "/")+1:]
			if seen[step] {
				continue
			}
			seen[step] = true
			if unset := hoststep.UnsetVariables(string(content)); len(unset) > 0 {
				t.Errorf("%s: step %s reads %v, which it never defines", stack, step, unset)
			}
		}
		if len(seen) < 15 {
			t.Errorf("%s: only %d step scripts found", stack, len(seen))
		}
		t.Logf("%s: %d step scripts checked", stack, len(seen))
	}
}
