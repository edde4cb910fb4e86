package backup

import (
	"strings"

	"k3s-onprem/internal/hoststep"
)

// Step names; resources are <node>-<step>.
const (
	StepClient = "etcd-backup"
	StepTarget = "backup-target"
)

// clientOrder is a server's backup steps (one step_<name>.go each).
var clientOrder = []hoststep.Def[Client]{clientStep}

// ClientSteps returns one server's backup steps. Pure: the renderer, the
// mocks tests and the lab run the same steps.
func ClientSteps(c Client) ([]hoststep.Step, error) {
	return hoststep.Build(clientOrder, hoststep.RoleServer, c)
}

// targetOrder is the backup host's steps.
var targetOrder = []hoststep.Def[TargetHost]{targetStep}

// TargetSteps returns the backup host's steps (the backup host is not a
// cluster node; it runs them as a "server" role-less host).
func TargetSteps(h TargetHost) ([]hoststep.Step, error) {
	return hoststep.Build(targetOrder, "", h)
}

// TargetStdin is the target step's stdin: "<node> <public key>" per server.
func TargetStdin(nodes, publicKeys []string) string {
	var b strings.Builder
	for i, n := range nodes {
		b.WriteString(n + " " + strings.TrimSpace(publicKeys[i]) + "\n")
	}
	return b.String()
}
