package stacks

import (
	"slices"
	"strings"
	"testing"

	"k3s-onprem/components/cis"
	"k3s-onprem/components/k3s"
	"k3s-onprem/internal/hoststep"
	"k3s-onprem/internal/plan"
)

func cisPlan(t *testing.T, cisJSON, stopAfter string) *plan.Plan {
	t.Helper()
	return planStack(t, "prod", func(raw map[string]string) {
		raw["cis"] = cisJSON
		if stopAfter != "" {
			raw["stopAfter"] = stopAfter
		}
	})
}

// runScript is a step's staged run.sh.
func runScript(t *testing.T, p *plan.Plan, step string) string {
	t.Helper()
	for _, r := range p.OfType("command:remote:CopyToRemote") {
		if !strings.HasPrefix(r.Name, step+"-copy-") {
			continue
		}
		path, content, err := plan.CopiedFile(r)
		if err != nil {
			continue
		}
		if strings.HasSuffix(path, "/run.sh") {
			return string(content)
		}
	}
	t.Fatalf("%s stages no run.sh", step)
	return ""
}

// TestGraph_CISRunsAfterK3sAndTheClusterLayer: with cis.kubeBench on,
// every node's kube-bench step waits for its own k3s health (a server's
// gate, an agent's last k3s step) and for the cluster layer's objects;
// servers run every target, agents the node target; the raw report is a
// secret output.
func TestGraph_CISRunsAfterK3sAndTheClusterLayer(t *testing.T) {
	p := cisPlan(t, `{"kubeBench": {"enabled": true}}`, "")
	spec := prodSpec(t)
	podsecurity := p.OfType("kubernetes:core/v1:Namespace")
	if len(podsecurity) == 0 {
		t.Fatal("no namespaces in the cluster layer")
	}
	for _, n := range spec.Nodes {
		step := mustCmd(t, p, n.Name+"-"+cis.StepKubeBench)
		health := n.Name + "-" + k3s.StepGate
		if n.Role == RoleAgent {
			health = n.Name + "-" + k3s.StepPermissions
		}
		if !p.DependsOnTransitively(step.URN, mustCmd(t, p, health).URN) {
			t.Errorf("%s does not wait for %s", step.Name, health)
		}
		for _, ns := range podsecurity {
			if !p.DependsOnTransitively(step.URN, ns.URN) {
				t.Errorf("%s does not wait for namespace %s", step.Name, ns.Name)
			}
		}
		for _, out := range []string{"stdout", "stderr"} {
			if !slices.Contains(step.AdditionalSecretOutputs, out) {
				t.Errorf("%s: %s is not secret", step.Name, out)
			}
		}
		vars := hoststep.ScriptVars(runScript(t, p, step.Name))
		wantTargets := "node"
		if n.Role == RoleServer {
			wantTargets = "master,etcd,controlplane,node,policies"
		}
		if vars["TARGETS"] != wantTargets || vars["BENCHMARK"] != "k3s-cis-1.9" || vars["VERSION"] != cis.KubeBenchVersion {
			t.Errorf("%s: targets %q benchmark %q version %q", step.Name, vars["TARGETS"], vars["BENCHMARK"], vars["VERSION"])
		}
		if vars["ASSET"] != "kube-bench_0.15.6_linux_amd64.tar.gz" || vars["AIRGAP"] != "0" {
			t.Errorf("%s: asset %q airgap %q", step.Name, vars["ASSET"], vars["AIRGAP"])
		}
	}
}

// TestGraph_CISOffOrStoppedRegistersNothing: off by default, and
// stopAfter falco ends before it.
func TestGraph_CISOffOrStoppedRegistersNothing(t *testing.T) {
	for name, p := range map[string]*plan.Plan{
		"default":         planStack(t, "prod", nil),
		"stopAfter falco": cisPlan(t, `{"kubeBench": {"enabled": true}}`, PhaseFalco),
	} {
		for _, r := range p.OfType("command:remote:Command") {
			if strings.Contains(r.Name, cis.StepKubeBench) {
				t.Errorf("%s: %s registered", name, r.Name)
			}
		}
	}
}

// TestGraph_CISAirgapUploadsThePinnedArchive: an air-gap archive is
// uploaded into the step and checked against its pin; nothing is downloaded.
func TestGraph_CISAirgapUploadsThePinnedArchive(t *testing.T) {
	sum := strings.Repeat("ab", 32)
	p := cisPlan(t, `{"kubeBench": {"enabled": true, "archives": {"amd64": "/srv/kube-bench.tar.gz"}, "sha256": {"amd64": "`+sum+`"}}}`, "")
	step := "server-1-" + cis.StepKubeBench
	vars := hoststep.ScriptVars(runScript(t, p, step))
	if vars["AIRGAP"] != "1" || vars["RELEASE_URL"] != "" || vars["ARCHIVE_SHA256"] != sum {
		t.Errorf("vars %v", vars)
	}
	if p.Named("command:remote:CopyToRemote", step+"-copy-upload-kube-bench_0.15.6_linux_amd64.tar.gz") == nil {
		t.Error("the archive is not uploaded")
	}
}
