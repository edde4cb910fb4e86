package backup

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"k3s-onprem/internal/golden"
	"k3s-onprem/internal/hoststep"
)

var testTarget = Target{Address: "192.168.122.30", Port: 22, User: DefaultUser, Root: DefaultRoot, Keep: 14,
	HostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINsCTXcEcuK1PaztpWGUoIVsS/Wh3UyMR6UxYppkioGe"}

func testClient() Client {
	return Client{Target: testTarget, Cluster: "prod", Node: "server-1", SnapshotDir: DefaultSnapshotDir, OnCalendar: "hourly"}
}

func testHost() TargetHost {
	return TargetHost{Target: testTarget, Cluster: "prod", Nodes: []string{"server-1", "server-2", "server-3"}, HomeDir: "/var/lib/k3s-backup"}
}

func TestGolden_Client(t *testing.T) {
	c := testClient()
	for name, render := range map[string]func(Client) ([]byte, error){
		"etcd-backup.service": RenderUnit, "etcd-backup.timer": RenderTimer, "push.conf": RenderPushConf,
	} {
		got, err := render(c)
		if err != nil {
			t.Fatal(err)
		}
		golden.Assert(t, name, got)
	}
	c.Target.Port = 2222
	got, err := RenderKnownHosts(c.Target)
	if err != nil {
		t.Fatal(err)
	}
	golden.Assert(t, "known_hosts-port-2222", got)
}

func TestGolden_AuthorizedKeysTemplate(t *testing.T) {
	got, err := RenderAuthorizedKeysTemplate(testHost())
	if err != nil {
		t.Fatal(err)
	}
	golden.Assert(t, "authorized_keys.in", got)
	for _, n := range testHost().Nodes {
		want := fmt.Sprintf(`command="%s 14 %s/prod/%s",restrict %s k3s-onprem-backup prod/%s`, GatePath, DefaultRoot, n, PublicKeyPlaceholder(n), n)
		if !strings.Contains(string(got), want+"\n") {
			t.Errorf("no line %q", want)
		}
	}
}

// TestRender_RefusesInjection: every value that reaches a unit, a sourced
// settings file or a forced command is checked to be a plain word or path.
func TestRender_RefusesInjection(t *testing.T) {
	bad := []func(c *Client){
		func(c *Client) { c.Target.Address = "host; rm -rf /" },
		func(c *Client) { c.Target.User = "root\nExecStartPre=/bin/sh" },
		func(c *Client) { c.Target.Root = "/srv/x $(id)" },
		func(c *Client) { c.Target.HostKey = "ssh-ed25519 AAAA\nbad" },
		func(c *Client) { c.Target.Keep = 0 },
		func(c *Client) { c.Node = "../etc" },
		func(c *Client) { c.Cluster = "a b" },
		func(c *Client) { c.SnapshotDir = "relative" },
		func(c *Client) { c.OnCalendar = "hourly\nExecStart=/bin/sh" },
	}
	for i, mutate := range bad {
		c := testClient()
		mutate(&c)
		if _, err := RenderUnit(c); err == nil {
			t.Errorf("case %d rendered", i)
		}
	}
	h := testHost()
	h.Nodes = append(h.Nodes, "server-1")
	if _, err := RenderAuthorizedKeysTemplate(h); err == nil {
		t.Error("a node twice rendered")
	}
}

// TestSteps_ScriptsParseAndDefineTheirVariables: bash -n on every step
// script and host-side script; every upper-case variable a step reads is
// one of its Vars (or lib.sh's).
func TestSteps_ScriptsParseAndDefineTheirVariables(t *testing.T) {
	cs, err := ClientSteps(testClient())
	if err != nil {
		t.Fatal(err)
	}
	ts, err := TargetSteps(testHost())
	if err != nil {
		t.Fatal(err)
	}
	var scripts = map[string][]byte{"push.sh": RenderPushScript(), "gate.sh": RenderGateScript(), "restore.sh": RestoreScript()}
	for _, s := range append(cs, ts...) {
		b, err := s.Render()
		if err != nil {
			t.Fatal(err)
		}
		run := b.Files[len(b.Files)-1].Content
		scripts[s.Name+"/run.sh"] = run
		if unset := hoststep.UnsetVariables(string(run)); len(unset) > 0 {
			t.Errorf("%s reads unset variables %v", s.Name, unset)
		}
	}
	for name, content := range scripts {
		cmd := exec.Command("bash", "-n")
		cmd.Stdin = strings.NewReader(string(content))
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("%s: %v\n%s", name, err, out)
		}
	}
}

func TestRestorePlan_Order(t *testing.T) {
	p, err := RestorePlan([]string{"server-1", "server-2", "server-3"}, "20261201T054655Z", "etcd-snapshot-server-1-1764566400")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range p {
		got = append(got, a.Node+":"+strings.Join(a.Args, " "))
	}
	want := []string{
		"server-3:stop", "server-2:stop", "server-1:stop",
		"server-1:fetch 20261201T054655Z etcd-snapshot-server-1-1764566400",
		"server-1:reset " + RestoreDir + "/20261201T054655Z/etcd-snapshot-server-1-1764566400",
		"server-2:rejoin", "server-3:rejoin",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("plan:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, bad := range [][3]string{{"server-1", "latest", "f"}, {"server-1", "20261201T054655Z", "../etc/shadow"}, {"Server 1", "20261201T054655Z", "f"}} {
		if _, err := RestorePlan([]string{bad[0]}, bad[1], bad[2]); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
	if _, err := RestorePlan(nil, "20261201T054655Z", "f"); err == nil {
		t.Error("no servers accepted")
	}
}
