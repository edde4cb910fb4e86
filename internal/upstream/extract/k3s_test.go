package extract

import (
	"reflect"
	"testing"
)

// A pkg/cli/cmds shaped like k3s's, in both urfave/cli styles: v1 aliases
// in Name ("server, s"), v2 in Aliases; flags as package vars, inline
// literals, a shared slice and append; a file excluded by build tags and
// one by OS suffix.
var k3sCmds = map[string][]byte{
	"pkg/cli/cmds/agent.go": []byte(`package cmds
import "github.com/urfave/cli/v2"
var (
	NodeIPFlag = &cli.StringSliceFlag{Name: "node-ip", Aliases: []string{"i"}}
	ProtectFlag = &cli.BoolFlag{Name: "protect-kernel-defaults"}
)
func NewAgentCommand(action func(*cli.Context) error) *cli.Command {
	return &cli.Command{Name: "agent", Action: action, Flags: []cli.Flag{
		ConfigFlag,
		NodeIPFlag,
		&cli.StringFlag{Name: "server", Aliases: []string{"s"}},
		&cli.IntFlag{Name: "lb-server-port"},
		&cli.DurationFlag{Name: "some-timeout"},
	}}
}
`),
	"pkg/cli/cmds/server.go": []byte(`package cmds
import cli "github.com/urfave/cli"
var ServerFlags = append([]cli.Flag{
	ConfigFlag,
	cli.StringSliceFlag{Name: "tls-san"},
	cli.BoolTFlag{Name: "cluster-init, ci"},
}, agentShared()...)
func agentShared() []cli.Flag { return []cli.Flag{NodeIPFlag, ProtectFlag} }
func NewServerCommand(action func(*cli.Context) error) *cli.Command {
	return &cli.Command{Name: "server", Flags: ServerFlags}
}
`),
	"pkg/cli/cmds/config.go":         []byte("package cmds\nimport \"github.com/urfave/cli/v2\"\nvar ConfigFlag = &cli.StringFlag{Name: \"config\", Aliases: []string{\"c\"}}\n"),
	"pkg/cli/cmds/config_windows.go": []byte("package cmds\nvar ConfigFlag = nil\n"),
	"pkg/cli/cmds/nostage.go":        []byte("//go:build no_stage\n\npackage cmds\nvar ProtectFlag = nil\n"),
	"pkg/cli/cmds/x_test.go":         []byte("package cmds\nvar NodeIPFlag = nil\n"),
}

func TestK3sFlags(t *testing.T) {
	server, agent, err := K3sFlags(k3sCmds)
	if err != nil {
		t.Fatal(err)
	}
	wantServer := K3sCommand{
		Flags:   map[string]string{"config": "string", "tls-san": "string-slice", "cluster-init": "bool", "node-ip": "string-slice", "protect-kernel-defaults": "bool"},
		Aliases: map[string]string{"c": "config", "ci": "cluster-init", "i": "node-ip"},
	}
	wantAgent := K3sCommand{
		Flags:   map[string]string{"config": "string", "node-ip": "string-slice", "server": "string", "lb-server-port": "int", "some-timeout": "duration"},
		Aliases: map[string]string{"c": "config", "i": "node-ip", "s": "server"},
	}
	if !reflect.DeepEqual(server, wantServer) {
		t.Errorf("server:\n got %v\nwant %v", server, wantServer)
	}
	if !reflect.DeepEqual(agent, wantAgent) {
		t.Errorf("agent:\n got %v\nwant %v", agent, wantAgent)
	}
}

// An expression the extractor cannot follow is an error, not a silently
// shorter table.
func TestK3sFlags_UnfollowableIsAnError(t *testing.T) {
	files := map[string][]byte{"pkg/cli/cmds/server.go": []byte(`package cmds
import "github.com/urfave/cli/v2"
func NewServerCommand() *cli.Command { return &cli.Command{Flags: other.Flags()} }
func NewAgentCommand() *cli.Command { return &cli.Command{Flags: []cli.Flag{}} }
`)}
	if _, _, err := K3sFlags(files); err == nil {
		t.Fatal("want an error for a call into another package")
	}
}
