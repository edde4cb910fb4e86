package runner

import (
	"strings"
	"testing"

	"k3s-onprem/internal/plan"
	"k3s-onprem/stacks"
)

// fakeHosts records what would cross SSH.
type fakeHosts struct {
	uploads map[string][]byte
	runs    []string
}

func (f *fakeHosts) Upload(host, p string, data []byte) error {
	f.uploads[host+":"+p] = data
	return nil
}

func (f *fakeHosts) Run(host, cmd string, stdin []byte) (string, string, error) {
	f.runs = append(f.runs, host+": "+cmd)
	return "installed x\nchanged\n", "", nil
}

func TestApply_RunsEveryStepAfterItsFiles(t *testing.T) {
	p, err := stacks.PlanStack("../../..", "dev", nil)
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeHosts{uploads: map[string][]byte{}}
	results, err := Apply(p, f, Options{Include: func(r *plan.Resource) bool {
		return strings.HasPrefix(r.Name, "dev-server-1-")
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(results) == 0 || !results[0].Changed {
		t.Fatalf("results: %+v", results)
	}
	seen := map[string]bool{}
	for _, run := range f.runs {
		if strings.HasPrefix(run, "10.203.0.11: install -d -m 0711 /var/lib/k3s-onprem ") {
			continue // a step's staging directory
		}
		if !strings.HasPrefix(run, "10.203.0.11: bash /var/lib/k3s-onprem/steps/") {
			t.Errorf("unexpected command %q", run)
		}
		step := strings.Split(strings.TrimPrefix(run, "10.203.0.11: bash /var/lib/k3s-onprem/steps/"), "/")[0]
		if _, ok := f.uploads["10.203.0.11:/var/lib/k3s-onprem/steps/"+step+"/run.sh"]; !ok {
			t.Errorf("%s ran without its script uploaded", step)
		}
		seen[step] = true
	}
	if !seen["packages"] || !seen["firewall"] || !strings.Contains(f.runs[1], "/packages/run.sh") {
		t.Errorf("packages must run first, firewall must run: %v", f.runs)
	}
}
