package stacks

import (
	"encoding/json"
	"sort"
	"strings"
	"testing"

	"k3s-onprem/components/falco"
	"k3s-onprem/components/k3s"
	"k3s-onprem/components/responder"
	"k3s-onprem/components/vip"
	"k3s-onprem/internal/hoststep"
	"k3s-onprem/internal/plan"
)

const cmdType = "command:remote:Command"

func mustCmd(t *testing.T, p *plan.Plan, name string) *plan.Resource {
	t.Helper()
	r := p.Named(cmdType, name)
	if r == nil {
		t.Fatalf("no command %s", name)
	}
	return r
}

// copiedFile returns the staged content of one of a step's files.
func copiedFile(t *testing.T, p *plan.Plan, step, hostPath string) string {
	t.Helper()
	for _, r := range p.OfType("command:remote:CopyToRemote") {
		// Uploads (binaries, file assets) are not staged text files; the
		// copies register concurrently, so their order is not fixed.
		if !strings.HasPrefix(r.Name, step+"-copy-") || strings.HasPrefix(r.Name, step+"-copy-upload-") {
			continue
		}
		path, content, err := plan.CopiedFile(r)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(path, "/"+hoststep.StagedName(hostPath)) {
			return string(content)
		}
	}
	t.Fatalf("%s stages no %s", step, hostPath)
	return ""
}

func prodSpec(t *testing.T) *ClusterSpec {
	t.Helper()
	sf, err := ReadStackFile("../Pulumi.prod.yaml")
	if err != nil {
		t.Fatal(err)
	}
	sf.Raw[KeySSHPrivateKey] = Placeholder
	sf.Raw[KeyFalcoOutputURLs] = `{"slack":"x"}`
	spec, v := Decode("prod", sf.Raw)
	if v.Err() != nil {
		t.Fatal(v.Err())
	}
	return spec
}

// TestGraph_K3sJoinChain: server0 -> gate -> server1 -> gate -> server2 ->
// gate; agents only after the last gate and every keepalived step, behind
// their own VIP gate; the kubeconfig is read after all of that.
func TestGraph_K3sJoinChain(t *testing.T) {
	p := planStack(t, "prod", nil)
	spec := prodSpec(t)
	servers, agents := spec.Servers(), spec.Agents()
	for i, n := range servers {
		cfg := copiedFile(t, p, n.Name+"-"+k3s.StepConfig, k3s.ConfigPath)
		if i == 0 {
			if !strings.Contains(cfg, "cluster-init: true") || strings.Contains(cfg, "\nserver:") {
				t.Errorf("%s does not bootstrap with cluster-init:\n%s", n.Name, cfg)
			}
			continue
		}
		if want := "server: https://" + servers[0].InternalAddress + ":6443"; !strings.Contains(cfg, want) || strings.Contains(cfg, "cluster-init") {
			t.Errorf("%s does not join %s:\n%s", n.Name, servers[0].Name, cfg)
		}
		first := mustCmd(t, p, n.Name+"-"+k3s.StepToken)
		prevGate := mustCmd(t, p, servers[i-1].Name+"-"+k3s.StepGate)
		if !contains(first.DependsOn, prevGate.URN) {
			t.Errorf("%s starts before %s", first.Name, prevGate.Name)
		}
		if p.DependsOnTransitively(prevGate.URN, first.URN) {
			t.Errorf("%s waits for the next server", prevGate.Name)
		}
		// The whole chain of this server comes after the previous gate.
		svc := mustCmd(t, p, n.Name+"-"+k3s.StepService)
		if !p.DependsOnTransitively(svc.URN, prevGate.URN) {
			t.Errorf("%s does not wait for %s", svc.Name, prevGate.Name)
		}
	}
	lastGate := mustCmd(t, p, servers[len(servers)-1].Name+"-"+k3s.StepGate)
	for _, a := range agents {
		vg := mustCmd(t, p, a.Name+"-"+k3s.StepVIPGate)
		if !contains(vg.DependsOn, lastGate.URN) {
			t.Errorf("%s does not wait for %s", vg.Name, lastGate.Name)
		}
		for _, s := range servers {
			if ka := mustCmd(t, p, s.Name+"-"+vip.StepName); !contains(vg.DependsOn, ka.URN) {
				t.Errorf("%s does not wait for %s", vg.Name, ka.Name)
			}
		}
		svc := mustCmd(t, p, a.Name+"-"+k3s.StepService)
		if !p.DependsOnTransitively(svc.URN, vg.URN) {
			t.Errorf("%s starts before the VIP gate", svc.Name)
		}
		if cfg := copiedFile(t, p, a.Name+"-"+k3s.StepConfig, k3s.ConfigPath); !strings.Contains(cfg, "server: https://"+spec.VIP.Address+":6443") {
			t.Errorf("%s does not join through the VIP:\n%s", a.Name, cfg)
		}
	}
	kc := mustCmd(t, p, servers[0].Name+"-"+k3s.StepKubeconfig)
	if !contains(kc.DependsOn, lastGate.URN) {
		t.Errorf("%s is read before the last server is healthy", kc.Name)
	}
	if plan.Str(kc.Inputs, "logging") != "none" || !contains(kc.AdditionalSecretOutputs, "stdout") {
		t.Errorf("%s: logging %q, secret outputs %v", kc.Name, plan.Str(kc.Inputs, "logging"), kc.AdditionalSecretOutputs)
	}
}

// TestGraph_K3sSecrets: tokens and the VRRP password come from random, reach
// hosts only on stdin (secret), and the provider's kubeconfig is secret.
func TestGraph_K3sSecrets(t *testing.T) {
	p := planStack(t, "prod", nil)
	spec := prodSpec(t)
	for _, name := range []string{"prod-k3s-token", "prod-k3s-agent-token", "prod-vip-auth-pass"} {
		if p.Named("random:index/randomPassword:RandomPassword", name) == nil {
			t.Errorf("no RandomPassword %s", name)
		}
	}
	stdinSteps := map[string]bool{k3s.StepToken: true, vip.StepName: true, responder.StepName: true}
	for _, n := range spec.Nodes {
		for _, r := range p.OfType(cmdType) {
			step, ok := strings.CutPrefix(r.Name, n.Name+"-")
			if !ok || !(strings.HasPrefix(step, "k3s-") || step == vip.StepName) {
				continue // other components' steps are theirs to test
			}
			stdin, has := r.Inputs["stdin"]
			if stdinSteps[step] {
				if !has || !stdin.ContainsSecrets() {
					t.Errorf("%s: stdin missing or not secret", r.Name)
				}
			} else if has && !stdin.IsNull() {
				t.Errorf("%s: unexpected stdin", r.Name)
			}
		}
	}
	// The mock tokens must never be in a staged file either.
	for _, r := range p.OfType("command:remote:CopyToRemote") {
		_, content, err := plan.CopiedFile(r)
		if err == nil && strings.Contains(string(content), plan.MockSecretPrefix) {
			t.Errorf("%s stages a secret", r.Name)
		}
	}
	provs := p.OfType("pulumi:providers:kubernetes")
	if len(provs) != 1 {
		t.Fatalf("%d kubernetes providers, want 1", len(provs))
	}
	if kc, ok := provs[0].Inputs["kubeconfig"]; !ok || !kc.ContainsSecrets() {
		t.Errorf("provider kubeconfig is not secret")
	}
}

// TestGraph_K3sVersionBumpRolls: changing k3s.version changes only the
// binary and service steps (and their staged scripts), and each server's
// steps wait for the previous server's restarted service and gate; agents
// follow the last server.
func TestGraph_K3sVersionBumpRolls(t *testing.T) {
	before := planStack(t, "prod", nil)
	after := planStack(t, "prod", func(raw map[string]string) {
		var k map[string]any
		if err := json.Unmarshal([]byte(raw["k3s"]), &k); err != nil {
			t.Fatal(err)
		}
		k["version"] = "v1.35.1+k3s1"
		b, _ := json.Marshal(k)
		raw["k3s"] = string(b)
	})
	spec := prodSpec(t)
	text := func(r *plan.Resource) string {
		if r.Type == cmdType {
			return plan.Str(r.Inputs, "create") + plan.Str(r.Inputs, "update")
		}
		_, c, _ := plan.CopiedFile(r)
		return string(c)
	}
	var changed []string
	for _, r := range after.Resources {
		if r.Type != cmdType && r.Type != "command:remote:CopyToRemote" {
			continue
		}
		old := before.Named(r.Type, r.Name)
		if old == nil {
			t.Errorf("%s is new after a version bump", r.Name)
			continue
		}
		if text(old) != text(r) {
			changed = append(changed, r.Name)
		}
	}
	var want []string
	for _, n := range spec.Nodes {
		for _, s := range []string{k3s.StepBinary, k3s.StepService} {
			want = append(want, n.Name+"-"+s, n.Name+"-"+s+"-copy-run.sh")
		}
		if n.Role == RoleServer {
			// The serving-certificate check reads the renewed expiry.
			want = append(want, n.Name+"-"+k3s.StepCertExpiry, n.Name+"-"+k3s.StepCertExpiry+"-copy-run.sh")
		}
		if n.Role == RoleAgent {
			// The agent's drain and uncordon (on the first server) carry
			// its restart key, so they run exactly around the restart.
			for _, s := range []string{k3s.StepDrainPrefix, k3s.StepUncordonPrefix} {
				r := spec.Servers()[0].Name + "-" + s + n.Name
				want = append(want, r, r+"-copy-run.sh")
			}
		}
	}
	sort.Strings(changed)
	sort.Strings(want)
	if strings.Join(changed, " ") != strings.Join(want, " ") {
		t.Errorf("changed resources:\n  %v\nwant exactly the install and restart steps:\n  %v", changed, want)
	}
	servers := spec.Servers()
	for i := 1; i < len(servers); i++ {
		prevSvc := mustCmd(t, after, servers[i-1].Name+"-"+k3s.StepService)
		prevGate := mustCmd(t, after, servers[i-1].Name+"-"+k3s.StepGate)
		bin := mustCmd(t, after, servers[i].Name+"-"+k3s.StepBinary)
		if !after.DependsOnTransitively(bin.URN, prevSvc.URN) || !after.DependsOnTransitively(bin.URN, prevGate.URN) {
			t.Errorf("%s is replaced before %s restarted and passed its gate", bin.Name, servers[i-1].Name)
		}
	}
	lastSvc := mustCmd(t, after, servers[len(servers)-1].Name+"-"+k3s.StepService)
	for _, a := range spec.Agents() {
		if bin := mustCmd(t, after, a.Name+"-"+k3s.StepBinary); !after.DependsOnTransitively(bin.URN, lastSvc.URN) {
			t.Errorf("%s is replaced before the servers finished", bin.Name)
		}
	}
}

// TestGraph_K3sAirgap: air-gapped nodes get the operator's binary and image
// tarball copied before the binary step, which checks both checksums and
// downloads nothing.
func TestGraph_K3sAirgap(t *testing.T) {
	sum := strings.Repeat("ab", 32)
	p := planStack(t, "dev", func(raw map[string]string) {
		raw["k3s"] = `{"version": "v1.34.4+k3s1", "airgap": {"binaryPath": "/srv/k3s", "binarySha256": "` + sum +
			`", "imagesPath": "/srv/k3s-airgap-images-amd64.tar.zst", "imagesSha256": "` + sum + `"}}`
	})
	for _, node := range []string{"dev-server-1", "dev-agent-1"} {
		bin := mustCmd(t, p, node+"-"+k3s.StepBinary)
		for _, c := range []string{bin.Name + "-copy-upload-k3s", bin.Name + "-copy-upload-k3s-airgap-images-amd64.tar.zst"} {
			cp := p.Named("command:remote:CopyToRemote", c)
			if cp == nil {
				t.Fatalf("no %s", c)
			}
			if !contains(bin.DependsOn, cp.URN) {
				t.Errorf("%s runs before %s", bin.Name, c)
			}
			if src := cp.Inputs["source"]; !src.IsAsset() || src.AssetValue().Path == "" {
				t.Errorf("%s does not copy the operator's file", c)
			}
		}
		script := ""
		for _, r := range p.OfType("command:remote:CopyToRemote") {
			if r.Name == bin.Name+"-copy-run.sh" {
				_, c, _ := plan.CopiedFile(r)
				script = string(c)
			}
		}
		for _, want := range []string{"AIRGAP='1'", "BINARY_SHA256='" + sum + "'", "IMAGES_NAME='k3s-airgap-images-amd64.tar.zst'"} {
			if !strings.Contains(script, want) {
				t.Errorf("%s lacks %s", bin.Name, want)
			}
		}
		if !strings.Contains(script, "RELEASE_URL=''") {
			t.Errorf("%s would download in air-gapped mode (RELEASE_URL is set)", bin.Name)
		}
	}
}

// TestGraph_RemovedNodeIsDrainedFirst: every node but the first server has
// a membership step on the first server that depends on the node's last
// k3s step, so removing the node deletes (drains) it before stopping k3s.
func TestGraph_RemovedNodeIsDrainedFirst(t *testing.T) {
	p := planStack(t, "prod", nil)
	sf, _ := ReadStackFile("../Pulumi.prod.yaml")
	sf.Raw[KeySSHPrivateKey] = Placeholder
	sf.Raw[KeyFalcoOutputURLs] = `{"slack":"x"}`
	spec, _ := Decode("prod", sf.Raw)
	first := spec.Servers()[0].Name
	for _, n := range spec.Nodes[1:] {
		member := mustCmd(t, p, first+"-"+k3s.StepMemberPrefix+n.Name)
		last := n.Name + "-" + k3s.StepGate
		if n.Role == RoleAgent {
			// An agent's last step is its uncordon, on the first server.
			last = first + "-" + k3s.StepUncordonPrefix + n.Name
		}
		if node := mustCmd(t, p, last); !contains(member.DependsOn, node.URN) {
			t.Errorf("%s does not depend on %s", member.Name, node.Name)
		}
		if host := plan.Str(plan.Connection(member), "host"); host != spec.Servers()[0].SSH.Host {
			t.Errorf("%s runs on %s, want the first server", member.Name, host)
		}
	}
}

// TestGraph_AuditWebhookToFalco: with Falco on, every server's config
// carries the audit webhook flags and stages the webhook kubeconfig.
func TestGraph_AuditWebhookToFalco(t *testing.T) {
	p := planStack(t, "prod", nil)
	files, staged := map[string]string{}, 0
	for _, r := range p.OfType("command:remote:CopyToRemote") {
		remotePath, content, err := plan.CopiedFile(r)
		if err != nil {
			continue
		}
		files[r.Name] = string(content)
		if strings.HasSuffix(remotePath, hoststep.StagedName(falco.AuditWebhookConfigPath)) {
			staged++
		}
	}
	if staged != 3 {
		t.Errorf("audit webhook config staged on %d servers, want 3", staged)
	}
	for _, s := range []string{"server-1", "server-2", "server-3"} {
		cfg := ""
		for name, content := range files {
			if strings.HasPrefix(name, s+"-"+k3s.StepConfig+"-copy-") && strings.Contains(content, "kube-apiserver-arg") {
				cfg = content
			}
		}
		for _, arg := range falco.AuditWebhookAPIServerArgs() {
			if !strings.Contains(cfg, arg) {
				t.Errorf("%s config.yaml lacks %s", s, arg)
			}
		}
	}
}
