package lab_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k3s-onprem/components/k3s"
	"k3s-onprem/internal/plan"
	"k3s-onprem/stacks"
	"k3s-onprem/tests/lab/labhost"
	"k3s-onprem/tests/lab/runner"
)

// fakeK3sBinary stands in for the k3s binary, which cannot be obtained
// here: it answers `--version` the way k3s does (third word of the first
// line is the release tag), which is all the binary step reads.
const fakeK3sBinary = "#!/bin/sh\necho 'k3s version v1.34.4+k3s1 (0000000)'\necho 'go version go1.24'\n"

// leftovers plants what a k3s agent leaves on its host once its unit is
// stopped: a containerd shim still running from k3s's data dir (a copy of
// sleep under a transient unit, as k3s's KillMode=process leaves shims),
// a pod's tmpfs volume and a container rootfs mount, the CNI bridge and
// flannel link, kube-proxy and CNI chains, and the data directories.
const leftovers = `set -euo pipefail
shim=/var/lib/rancher/k3s/data/0123abcd/bin/containerd-shim-runc-v2
install -d "${shim%/*}" /var/lib/rancher/k3s/agent/containerd /etc/rancher/k3s /run/flannel
cp /bin/sleep "$shim"
systemd-run --quiet --unit=lab-fake-shim "$shim" 3600
echo 'token-data' >/etc/rancher/k3s/leftover.yaml
echo 'FLANNEL_NETWORK=10.42.0.0/16' >/run/flannel/subnet.env
for m in /var/lib/kubelet/pods/0000/volumes/kubernetes.io~projected/kube-api-access \
	/run/k3s/containerd/io.containerd.runtime.v2.task/k8s.io/0000/rootfs; do
	install -d "$m"
	mount -t tmpfs tmpfs "$m"
done
ip link add cni0 type bridge
ip link add flannel.1 type bridge
if command -v iptables >/dev/null; then
	iptables -N KUBE-SERVICES
	iptables -A KUBE-SERVICES -j RETURN
	iptables -t nat -N CNI-HOSTPORT-DNAT
	iptables -t nat -A CNI-HOSTPORT-DNAT -j RETURN
fi
`

// remains lists, one per line, whatever of k3s is still on the host.
const remains = `set -u
for d in /usr/local/bin/k3s /var/lib/rancher /etc/rancher /var/lib/kubelet /run/k3s /run/flannel; do
	[ -e "$d" ] && echo "path $d"
done
for p in /proc/[0-9]*; do
	case "$(readlink "$p/exe" 2>/dev/null)" in /var/lib/rancher/k3s/data/*) echo "process ${p#/proc/}" ;; esac
done
awk '$5 ~ "^(/run/k3s|/var/lib/rancher|/var/lib/kubelet)" { print "mount " $5 }' /proc/self/mountinfo
for l in cni0 flannel.1; do ip link show "$l" >/dev/null 2>&1 && echo "link $l"; done
if command -v iptables-save >/dev/null; then iptables-save | grep -e KUBE- -e CNI- | sed 's/^/rule /'; fi
true
`

// A node removed from the stack is cleaned: the k3s binary step's delete
// (run after the service step's delete has removed the unit) stops what
// k3s left running, unmounts, deletes the CNI links and kube-proxy/CNI
// rules, the data and config directories and the binary, so the host is
// as before k3s; while a unit is installed (the step was replaced, not
// removed) it removes nothing; a second delete changes nothing.
//
// Real: systemd, mounts, links, iptables and the program's own binary
// step (create and delete, as recorded from the dev stack). Emulated: the
// k3s binary (fakeK3sBinary, placed through the air-gap path) and what k3s
// leaves behind (planted by leftovers).
func TestLab_K3sNodeRemovalCleansHost(t *testing.T) {
	const agent = "dev-agent-1"
	lab := labhost.Start(t, []labhost.HostSpec{{Name: agent, Addresses: []string{"10.203.0.21"}}})
	before := lab.Snapshot(t, agent)

	bin := filepath.Join(t.TempDir(), "k3s")
	if err := os.WriteFile(bin, []byte(fakeK3sBinary), 0o755); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(fakeK3sBinary))
	key := lab.Host(agent).HostKey
	nodes, _ := json.Marshal([]map[string]any{
		{"name": "dev-server-1", "role": stacks.RoleServer, "internalAddress": "10.203.0.11", "ssh": map[string]any{"hostKey": key}},
		{"name": agent, "role": stacks.RoleAgent, "internalAddress": "10.203.0.21", "ssh": map[string]any{"hostKey": key}},
	})
	k3sCfg, _ := json.Marshal(map[string]any{"version": "v1.34.4+k3s1",
		"airgap": map[string]any{"binaryPath": bin, "binarySha256": hex.EncodeToString(sum[:])}})
	p, err := stacks.PlanStack("../..", "dev", func(raw map[string]string) {
		raw["nodes"] = string(nodes)
		raw["k3s"] = string(k3sCfg)
		raw[stacks.KeySSHPrivateKey] = string(lab.ClientKeyPEM())
		raw["ssh"] = `{"user": "root"}`
	})
	if err != nil {
		t.Fatal(err)
	}
	binaryStep := runner.Options{Include: func(r *plan.Resource) bool { return r.Name == agent+"-"+k3s.StepBinary }}
	if _, err := runner.Apply(p, lab, binaryStep); err != nil {
		t.Fatal(err)
	}
	if out := lab.MustRun(t, agent, "/usr/local/bin/k3s --version | head -1"); !strings.Contains(out, "v1.34.4+k3s1") {
		t.Fatalf("binary step did not install the binary: %q", out)
	}
	lab.MustRun(t, agent, leftovers)
	planted := lines(lab.MustRun(t, agent, remains))
	for _, want := range []string{"path /usr/local/bin/k3s", "path /var/lib/rancher", "link cni0", "link flannel.1"} {
		if !contains(planted, want) {
			t.Fatalf("leftovers not planted (%q missing): %q", want, planted)
		}
	}
	if !hasPrefix(planted, "process ") || !hasPrefix(planted, "mount ") {
		t.Fatalf("no shim process or mount planted: %q", planted)
	}

	// Replaced, not removed: the unit is still installed, nothing goes.
	unit := filepath.Base(k3s.AgentUnitPath)
	lab.MustRun(t, agent, "printf '[Service]\\nExecStart=/usr/local/bin/k3s agent\\n' >"+k3s.AgentUnitPath)
	res, err := runner.Delete(p, lab, binaryStep)
	if err != nil {
		t.Fatal(err)
	}
	if got := lines(lab.MustRun(t, agent, remains)); strings.Join(got, "\n") != strings.Join(planted, "\n") {
		t.Errorf("with %s installed the delete removed something:\nbefore %q\nafter  %q\n%s", unit, planted, got, res[0].Stderr)
	}
	lab.MustRun(t, agent, "rm -f "+k3s.AgentUnitPath)

	// Removed: the service step's delete has removed the unit.
	if _, err := runner.Apply(p, lab, binaryStep); err != nil { // the stage dir, which the delete above removed
		t.Fatal(err)
	}
	res, err = runner.Delete(p, lab, binaryStep)
	if err != nil {
		t.Fatal(err)
	}
	if !res[0].Changed {
		t.Errorf("delete reported no change:\n%s", res[0].Stdout)
	}
	t.Logf("delete log:\n%s", res[0].Stderr)
	if got := lines(lab.MustRun(t, agent, remains)); len(got) > 0 {
		t.Errorf("k3s remains on the removed node:\n%s", strings.Join(got, "\n"))
	}
	if d := labhost.SnapshotDiff(before, lab.Snapshot(t, agent)); len(d) > 0 {
		t.Errorf("%s is not as it was before k3s:\n%s", agent, strings.Join(d, "\n"))
	}

	// A second delete finds nothing to do.
	if _, err := runner.Apply(p, lab, binaryStep); err != nil {
		t.Fatal(err)
	}
	lab.MustRun(t, agent, "rm -f /usr/local/bin/k3s "+k3sStateStamp)
	res, err = runner.Delete(p, lab, binaryStep)
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Changed {
		t.Errorf("a second delete changed something:\n%s", res[0].Stderr)
	}
}

// k3sStateStamp is where the binary step records the installed checksum.
const k3sStateStamp = "/var/lib/k3s-onprem/k3s/binary.sha256"

func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
		if l != "" {
			out = append(out, l)
		}
	}
	return out
}

func contains(ls []string, want string) bool {
	for _, l := range ls {
		if l == want {
			return true
		}
	}
	return false
}

func hasPrefix(ls []string, prefix string) bool {
	for _, l := range ls {
		if strings.HasPrefix(l, prefix) {
			return true
		}
	}
	return false
}
