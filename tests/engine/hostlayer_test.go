//go:build engine

package engine_test

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"

	"k3s-onprem/internal/plan"
	"k3s-onprem/stacks"
	"k3s-onprem/tests/lab/labhost"
)

// labStackName is the engine tier's stack; URNs of the mocked plan (stack
// "dev") are rewritten to it.
const labStackName = "lab"

// labNode is one lab host of the 3-server + 1-agent stack.
type labNode struct{ name, role, addr string }

// labNet is the engine tier's lab network. It is not the dev stack's
// 10.203.0.0/24, which tests/lab uses, so both packages' labs can run at
// once (a lab network is locked by one lab at a time).
const labNet = "10.211.0"

// labNodes are the committed dev stack's nodes, on labNet.
var labNodes = []labNode{
	{"dev-server-1", stacks.RoleServer, labNet + ".11"},
	{"dev-server-2", stacks.RoleServer, labNet + ".12"},
	{"dev-server-3", stacks.RoleServer, labNet + ".13"},
	{"dev-agent-1", stacks.RoleAgent, labNet + ".21"},
}

// stopAfter is the line of the engine tier: the program's own stopAfter
// setting ends the deployment after the vip phase (stacks/deploy.go).
// Everything from the k3s phase on needs the k3s binary (not obtainable
// here) or a running cluster. --target cannot draw this line: the engine
// implicitly targets every provider, and the program's kubernetes provider
// takes the kubeconfig that the (untargeted) k3s phase reads, which the
// engine refuses ("... was not specified in --target list").
const stopAfter = "vip"

// labConfig is the committed dev stack pointed at the lab: the lab's host
// keys pinned per node, SSH as root with the key from the secret config
// (sshPrivateKey) instead of a key file on the operator's machine.
func labConfig(t *testing.T, lab *labhost.Lab, nodes []labNode) map[string]any {
	t.Helper()
	cfg := deepCopy(t, readStackConfig(t, "dev"))
	var list []any
	for _, n := range nodes {
		list = append(list, map[string]any{
			"name": n.name, "role": n.role, "internalAddress": n.addr,
			"ssh": map[string]any{"hostKey": lab.Host(n.name).HostKey},
		})
	}
	cfg[stacks.Project+":nodes"] = list
	cfg[stacks.Project+":ssh"] = map[string]any{"user": "root"}
	moveToNet(cfg, labNet)
	// The mocked plan runs as stack "dev", the engine as "lab": a fixed
	// cluster name keeps the component names (<clusterName>-vip) equal.
	cfg[stacks.Project+":clusterName"] = "dev"
	cfg[stacks.Project+":stopAfter"] = stopAfter
	return cfg
}

// moveToNet puts the stack's addresses (nodes, internal CIDR, VIP, pools)
// on the /24 net ("10.211.0"), keeping each host part.
func moveToNet(cfg map[string]any, net string) {
	host := func(a string) string { return a[strings.LastIndex(a, ".")+1:] }
	for _, n := range cfg[stacks.Project+":nodes"].([]any) {
		m := n.(map[string]any)
		m["internalAddress"] = net + "." + host(m["internalAddress"].(string))
	}
	cfg[stacks.Project+":network"].(map[string]any)["internalCidr"] = net + ".0/24"
	cfg[stacks.Project+":vip"].(map[string]any)["address"] = net + ".100"
	pools := cfg[stacks.Project+":loadBalancer"].(map[string]any)["pools"].([]any)
	pools[0].(map[string]any)["range"] = net + ".200-" + net + ".220"
	pools[1].(map[string]any)["range"] = net + ".221-" + net + ".240"
}

// rawConfig is cfg as the program's offline loader takes it.
func rawConfig(t *testing.T, cfg map[string]any, sshKey string) map[string]string {
	t.Helper()
	raw := map[string]string{}
	for k, v := range cfg {
		key := strings.TrimPrefix(k, stacks.Project+":")
		if s, ok := v.(string); ok {
			raw[key] = s
			continue
		}
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		raw[key] = string(b)
	}
	raw[stacks.KeySSHPrivateKey] = sshKey
	return raw
}

// labPlan runs the program under mocks with cfg (no engine): the graph the
// engine will see, used to pick the host layer and to predict diffs.
func labPlan(t *testing.T, cfg map[string]any, sshKey string) *plan.Plan {
	t.Helper()
	raw := rawConfig(t, cfg, sshKey)
	p, err := stacks.PlanStack("../..", "dev", func(r map[string]string) {
		for k := range r {
			delete(r, k)
		}
		for k, v := range raw {
			r[k] = v
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func engineURN(planURN string) string {
	return strings.Replace(planURN, "urn:pulumi:dev::", "urn:pulumi:"+labStackName+"::", 1)
}

// hostLayer is every resource of p (the program up to stopAfter) as
// engine URNs, and its custom resources. It fails if p reaches a
// Kubernetes object or the k3s phase (the line would be wrong).
func hostLayer(t *testing.T, p *plan.Plan) (all []string, custom map[string]*plan.Resource) {
	t.Helper()
	custom = map[string]*plan.Resource{}
	for _, r := range p.Resources {
		if strings.HasPrefix(r.Type, "kubernetes:") || strings.HasPrefix(r.Type, "pulumi:providers:kubernetes") || strings.HasPrefix(r.Type, "k3s-onprem:k3s:") {
			t.Fatalf("the host layer registers %s (%s): the stopAfter line is wrong", r.Name, r.Type)
		}
		all = append(all, engineURN(r.URN))
		if r.Custom && !strings.HasPrefix(r.Type, "pulumi:providers:") {
			custom[engineURN(r.URN)] = r
		}
	}
	sort.Strings(all)
	return all, custom
}

// sshLogins counts accepted SSH logins in the host's journal: every remote
// command and every copy of the provider opens its own connection, so an
// unchanged count proves that nothing ran on the host. The lab's own
// client keeps one connection open, so reading the count adds none.
func sshLogins(t *testing.T, lab *labhost.Lab, host string) int {
	t.Helper()
	out := strings.TrimSpace(lab.MustRun(t, host, `journalctl -q --no-pager -o cat -t sshd -t sshd-session | grep -c '^Accepted publickey ' || true`))
	var n int
	if _, err := fmt.Sscan(out, &n); err != nil {
		t.Fatalf("%s: login count %q: %v", host, out, err)
	}
	return n
}

func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		skipOrFail(t, "lab hosts need root")
	}
}
