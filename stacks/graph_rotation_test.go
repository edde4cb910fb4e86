package stacks

import (
	"encoding/json"
	"sort"
	"strings"
	"testing"

	"k3s-onprem/components/k3s"
	"k3s-onprem/internal/plan"
)

// withRotation sets the rotation block of a stack before it is planned.
func withRotation(t *testing.T, r Rotation) func(map[string]string) {
	return func(raw map[string]string) {
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		raw["rotation"] = string(b)
	}
}

// rotationDiff plans prod before and after a rotation change and returns
// the resources that are new, and those whose inputs (secrets included,
// compared by value) or replacement trigger changed.
func rotationDiff(t *testing.T, before, after Rotation) (added, changed []string, p *plan.Plan) {
	t.Helper()
	a := planStack(t, "prod", withRotation(t, before))
	b := planStack(t, "prod", withRotation(t, after))
	for _, r := range b.Resources {
		old := a.Named(r.Type, r.Name)
		switch {
		case old == nil:
			added = append(added, r.Name)
		case !old.Inputs.DeepEquals(r.Inputs) || old.ReplacementTrigger != r.ReplacementTrigger:
			changed = append(changed, r.Name)
		}
	}
	for _, r := range a.Resources {
		if b.Named(r.Type, r.Name) == nil {
			t.Errorf("%s is gone after the rotation change", r.Name)
		}
	}
	sort.Strings(added)
	sort.Strings(changed)
	return added, changed, b
}

// stepResources are a step's command with its stage and run.sh copy.
func stepResources(names ...string) []string {
	var out []string
	for _, n := range names {
		out = append(out, n, n+"-stage", n+"-copy-run.sh")
	}
	sort.Strings(out)
	return out
}

func sameList(t *testing.T, what string, got, want []string) {
	t.Helper()
	sort.Strings(want)
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("%s:\n  got  %v\n  want %v", what, got, want)
	}
}

// TestGraph_RotateCertificates: raising rotation.certificates adds one
// k3s-rotate-certs step per node, last in its chain, so servers rotate one
// at a time (server N+1 after server N's rotation and health wait) and
// agents after every server; the serving-certificate check re-reads the
// expiry. Raising it again changes exactly those steps.
func TestGraph_RotateCertificates(t *testing.T) {
	spec := prodSpec(t)
	var rotate, expiry []string
	for _, n := range spec.Nodes {
		rotate = append(rotate, n.Name+"-"+k3s.StepRotateCerts)
	}
	for _, n := range spec.Servers() {
		expiry = append(expiry, n.Name+"-"+k3s.StepCertExpiry, n.Name+"-"+k3s.StepCertExpiry+"-copy-run.sh")
	}
	added, changed, p := rotationDiff(t, Rotation{}, Rotation{Certificates: 1})
	sameList(t, "added by generation 0 -> 1", added, stepResources(rotate...))
	sameList(t, "changed by generation 0 -> 1", changed, expiry)

	servers := spec.Servers()
	for i := 1; i < len(servers); i++ {
		cur := mustCmd(t, p, servers[i].Name+"-"+k3s.StepRotateCerts)
		prev := mustCmd(t, p, servers[i-1].Name+"-"+k3s.StepRotateCerts)
		if !p.DependsOnTransitively(cur.URN, prev.URN) || p.DependsOnTransitively(prev.URN, cur.URN) {
			t.Errorf("%s does not follow %s", cur.Name, prev.Name)
		}
		if gate := mustCmd(t, p, servers[i].Name+"-"+k3s.StepGate); !contains(cur.DependsOn, gate.URN) {
			t.Errorf("%s does not follow its own gate", cur.Name)
		}
	}
	last := mustCmd(t, p, servers[len(servers)-1].Name+"-"+k3s.StepRotateCerts)
	for _, a := range spec.Agents() {
		if r := mustCmd(t, p, a.Name+"-"+k3s.StepRotateCerts); !p.DependsOnTransitively(r.URN, last.URN) {
			t.Errorf("%s does not wait for the servers' rotation", r.Name)
		}
	}
	if s := copiedRunSh(t, p, servers[0].Name+"-"+k3s.StepRotateCerts); !strings.Contains(s, "GENERATION='1'") || !strings.Contains(s, `"$K3S_BIN" certificate rotate`) {
		t.Errorf("rotate-certs script:\n%s", s)
	}

	_, changed, _ = rotationDiff(t, Rotation{Certificates: 1}, Rotation{Certificates: 2})
	var want []string
	for _, r := range rotate {
		want = append(want, r, r+"-copy-run.sh")
	}
	sameList(t, "changed by generation 1 -> 2", changed, append(want, expiry...))
}

// TestGraph_RotateEncryptionKey: raising rotation.secretsEncryption adds
// rotate-keys on the first server after every server's chain, then a
// restart of each server in order; agents and the kubeconfig wait for the
// last restart. Nothing else changes.
func TestGraph_RotateEncryptionKey(t *testing.T) {
	spec := prodSpec(t)
	servers := spec.Servers()
	names := []string{servers[0].Name + "-" + k3s.StepEncryptRotate}
	for _, n := range servers {
		names = append(names, n.Name+"-"+k3s.StepEncryptRestart)
	}
	added, changed, p := rotationDiff(t, Rotation{}, Rotation{SecretsEncryption: 1})
	sameList(t, "added", added, stepResources(names...))
	sameList(t, "changed", changed, nil)
	rot := mustCmd(t, p, names[0])
	if g := mustCmd(t, p, servers[len(servers)-1].Name+"-"+k3s.StepGate); !contains(rot.DependsOn, g.URN) {
		t.Errorf("%s runs before the last server's gate", rot.Name)
	}
	prev := rot
	for _, n := range names[1:] {
		r := mustCmd(t, p, n)
		if !contains(r.DependsOn, prev.URN) {
			t.Errorf("%s does not follow %s", r.Name, prev.Name)
		}
		prev = r
	}
	for _, a := range spec.Agents() {
		if vg := mustCmd(t, p, a.Name+"-"+k3s.StepVIPGate); !p.DependsOnTransitively(vg.URN, prev.URN) {
			t.Errorf("%s does not wait for the last encryption restart", vg.Name)
		}
	}
	if kc := mustCmd(t, p, servers[0].Name+"-"+k3s.StepKubeconfig); !contains(kc.DependsOn, prev.URN) {
		t.Errorf("the kubeconfig is read before the servers restarted")
	}
	if s := copiedRunSh(t, p, names[0]); !strings.Contains(s, "secrets-encrypt rotate-keys") || !strings.Contains(s, "reencrypt_finished") {
		t.Errorf("encrypt-rotate script:\n%s", s)
	}
}

// TestGraph_RotateVIPPassword: raising rotation.vipPassword replaces the
// random password (its keepers change) and re-runs exactly the keepalived
// steps, whose stdin carries the new password; nothing else changes.
func TestGraph_RotateVIPPassword(t *testing.T) {
	added, changed, p := rotationDiff(t, Rotation{}, Rotation{VIPPassword: 1})
	var want []string
	for _, n := range prodSpec(t).Servers() {
		want = append(want, n.Name+"-keepalived")
	}
	sameList(t, "added", added, nil)
	sameList(t, "changed", changed, append(append([]string{}, want...), "prod-vip-auth-pass"))
	for _, w := range want {
		if stdin := mustCmd(t, p, w).Inputs["stdin"]; !stdin.ContainsSecrets() {
			t.Errorf("%s: the new password is not a secret on stdin", w)
		}
	}
}

// TestGraph_RotateResponderCredentials: the bearer's generation replaces
// the random secret and re-runs what carries it; the TLS generation sets a
// replacement trigger on the serving key only (the engine then replaces
// the CSR and certificate that consume it; the CA stays).
func TestGraph_RotateResponderCredentials(t *testing.T) {
	added, changed, _ := rotationDiff(t, Rotation{}, Rotation{ResponderToken: 1})
	sameList(t, "added by the token", added, nil)
	// The secret, the responder step on each server (stdin) and
	// falcosidekick's webhook configuration.
	want := []string{"prod-responder-secret", "prod-falco-sidekick"}
	for _, n := range prodSpec(t).Servers() {
		want = append(want, n.Name+"-responder")
	}
	sameList(t, "changed by the token", changed, want)
	added, changed, p := rotationDiff(t, Rotation{}, Rotation{ResponderTLS: 1})
	sameList(t, "added by TLS", added, nil)
	sameList(t, "changed by TLS", changed, []string{"prod-responder-key"})
	if rt := p.Named("tls:index/privateKey:PrivateKey", "prod-responder-key").ReplacementTrigger; rt != "1" {
		t.Errorf("replacement trigger %q, want the generation", rt)
	}
}
